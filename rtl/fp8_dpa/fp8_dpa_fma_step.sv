// One step of full FP32 accumulation (combinational): result = RNE(acc + a*b), the product exact,
// one rounding to FP32 (an IEEE fused multiply-add of an FP8 product; FP8 products are exact in
// FP32, so this is also an FP32 add of the product). The `fp32-acc` preset of isa/numerics is a
// chain of these, one per product.
//
// Built from the block's parts with one product: both terms aligned to the larger exponent E on the
// grid u = 2^(E - F), the smaller one rounded to odd (MODE 2: shifted-out bits OR-ed into its last
// bit), then the exact 2-term sum rounded to nearest even. With F = 32 this is exact rounding: the
// larger term is a multiple of 2u (C: F >= 24; a product: always), so the sum of it and the
// smaller term rounded to odd is the exact sum rounded to odd on u; a term loses bits only when it
// is below the larger one by more than 2^-8 relative (C: 2^(E-F+24) vs a product >= 2^(E-6)) or
// 2^-23 (a product vs C), so |sum| >= 2^(E-7) and u <= 2^-25 |sum|: 26 bits and more before the
// final rounding to 24, which then gives the correctly rounded result (Boldo & Melquiond, "Emulation
// of FMA and correctly rounded sums: proved algorithms using rounding to odd", IEEE TC 2008).
module fp8_dpa_fma_step #(
  parameter int F = 32
) (
  input  logic [31:0] acc,     // FP32, NaN and infinities included
  input  logic [7:0]  a,
  input  logic [7:0]  b,
  input  logic        e5m2,
  output logic [31:0] result
);
  localparam int EW = 10;
  localparam int DMAX_P = F + 2;
  localparam int DMAX_C = F + 1;
  localparam int DW = $clog2(DMAX_P + 1);
  localparam int TW = F + 4;
  localparam int SUMW = TW + 1;
  localparam logic signed [EW-1:0] NONE = {1'b1, {(EW - 1){1'b0}}};

  logic [7:0]           p_sig;
  logic signed [6:0]    p_exp7;
  logic                 p_sign, p_zero, s_nan, s_inf, s_inf_neg, negative_zero;
  fp8_dpa_products #(.N(1)) u_product (
    .a, .b, .e5m2, .c(acc), .nan_in(1'b0), .p_sig, .p_exp(p_exp7), .p_sign, .p_zero, .nan(s_nan),
    .inf(s_inf), .inf_negative(s_inf_neg), .negative_zero);

  logic signed [EW-1:0] p_exp, c_exp, e_max;
  logic                 c_zero;
  logic [23:0]          c_sig;
  logic signed [EW:0]   diff_p, diff_c;
  logic [DW-1:0]        p_d, c_d;
  always_comb begin
    p_exp = EW'(p_exp7);
    c_zero = acc[30:0] == '0;
    c_sig = {acc[30:23] != 8'd0, acc[22:0]};
    c_exp = EW'({1'b0, (acc[30:23] == 8'd0) ? 8'd1 : acc[30:23]}) - EW'(127);
    e_max = c_zero ? NONE : c_exp;
    if (!p_zero && p_exp > e_max) e_max = p_exp;
    diff_p = (EW + 1)'(e_max) - (EW + 1)'(p_exp);
    diff_c = (EW + 1)'(e_max) - (EW + 1)'(c_exp);
    p_d = (diff_p < 0 || diff_p > (EW + 1)'(DMAX_P)) ? DW'(DMAX_P) : DW'(diff_p);
    c_d = (diff_c < 0 || diff_c > (EW + 1)'(DMAX_C)) ? DW'(DMAX_C) : DW'(diff_c);
  end

  logic [TW-1:0] p_term, c_term;
  fp8_dpa_align #(.XW(8), .XF(6), .F(F), .MODE(2), .DW(DW), .TW(TW)) u_align_p (
    .x(p_sig), .negative(p_sign), .d(p_d), .term(p_term));
  fp8_dpa_align #(.XW(24), .XF(23), .F(F), .MODE(2), .DW(DW), .TW(TW)) u_align_c (
    .x(c_sig), .negative(acc[31]), .d(c_d), .term(c_term));

  logic [SUMW-1:0] sum;
  assign sum = {p_term[TW-1], p_term} + {c_term[TW-1], c_term};

  fp8_dpa_normround #(.SW(SUMW), .EW(EW), .RB(23), .RNE(1)) u_normround (
    .sum, .q(e_max - EW'(F)), .nan(s_nan), .inf(s_inf), .inf_negative(s_inf_neg),
    .negative_zero, .result);
endmodule
