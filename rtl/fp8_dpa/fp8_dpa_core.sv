// FP8 dot-product-accumulate unit: one block D = sum_{i<N} a_i*b_i + C per accepted input, bit for
// bit the block of isa/numerics/block_fma.h with C aligned with the products and product exponents
// from the operands' exponent fields:
//   1. products exact (4x4-bit significands), exponent = ea + eb (+ the group scales' exponents);
//   2. every term, C included, aligned to the largest exponent E keeping F fraction bits
//      (ALIGN_MODE 0: the bits below dropped, truncation of the magnitude; 1: nearest even);
//   3. an exact wide integer sum;
//   4. one normalisation, rounding to RESULT_BITS fraction bits (RESULT_RNE 0: toward zero,
//      1: nearest even), FP32 output with the special-value rules of block_fma.h.
// Operands are E4M3 or E5M2, chosen per input (in_e5m2). With SCALED = 1 each group of 32 products
// (OCP MX: one UE8M0 scale per 32 elements of K, for A and for B) has its product exponents raised
// by (scale_a - 127) + (scale_b - 127) before alignment: numerics::gemm's group_scaled_mma with MX
// scales. A NaN scale (0xFF) gives NaN (the C++ model refuses such scales).
//
// Pipeline: S1 decode, products, largest exponent, shift distances | S2 alignment | S3 exact sum |
// S4 normalise, round, pack. Four cycles from acceptance to out_valid, one block per cycle;
// valid/ready on both sides, a stage holds its data while the next one is not ready.
module fp8_dpa_core #(
  parameter int N = 32,             // products per block
  parameter int F = 13,             // fraction bits kept after alignment
  parameter int ALIGN_MODE = 0,     // 0: truncate toward zero, 1: nearest even
  parameter int RESULT_BITS = 13,   // fraction bits of the result (<= 23)
  parameter int RESULT_RNE = 0,     // 0: toward zero, 1: nearest even
  parameter int SCALED = 0,         // 1: group scales applied inside the block
  parameter int NG = (N + 31) / 32  // scale groups
) (
  input  logic            clk,
  input  logic            rst_n,       // synchronous, active low
  input  logic            in_valid,
  output logic            in_ready,
  input  logic            in_e5m2,     // operand format: 0 E4M3, 1 E5M2
  input  logic [8*N-1:0]  in_a,        // a_i = in_a[8i+7:8i]
  input  logic [8*N-1:0]  in_b,
  input  logic [31:0]     in_c,        // FP32 accumulator in
  input  logic [8*NG-1:0] in_scale_a,  // UE8M0, group g = products 32g .. 32g+31 (SCALED only)
  input  logic [8*NG-1:0] in_scale_b,
  output logic            out_valid,
  input  logic            out_ready,
  output logic [31:0]     out_d        // FP32 result
);
  localparam int EW = (SCALED != 0) ? 11 : 10;   // signed exponent width (scales widen the range)
  localparam int GB = (ALIGN_MODE == 1) ? 1 : 0;
  localparam int DMAX_P = F + 2 + GB;            // a product (8 bits, 6 below its exponent) is gone
  localparam int DMAX_C = F + 1 + GB;            // C (24 bits, 23 below its exponent) is gone
  localparam int DW = $clog2(DMAX_P + 1);
  localparam int TW = F + 4;                     // an aligned term, signed
  localparam int SUMW = TW + $clog2(N + 1);      // the exact sum of N + 1 terms
  localparam logic signed [EW-1:0] NONE = {1'b1, {(EW - 1){1'b0}}};  // below every exponent

  // ---------------------------------------------------------------------------------------------
  // Handshake (valid/ready): load[k], stage k + 1's registers take their input.
  logic [3:0] load;
  fp8_dpa_pipe_ctrl #(.STAGES(4)) u_ctrl (.clk, .rst_n, .in_valid, .in_ready, .out_valid, .out_ready,
                                          .load);

  // ---------------------------------------------------------------------------------------------
  // S1: decode, exact products, special values, largest exponent, shift distances.
  logic [8*N-1:0]  p_sig;
  logic [7*N-1:0]  p_exp7;       // ea + eb
  logic [EW*N-1:0] p_exp;        // ea + eb + the group's scale exponents
  logic [N-1:0]    p_sign, p_zero;
  logic            s_nan, s_inf, s_inf_neg, negative_zero;
  logic [EW*NG-1:0] g_exp;       // exponent added by each group's scales
  logic [NG-1:0]    g_nan;

  fp8_dpa_products #(.N(N)) u_products (
    .a(in_a), .b(in_b), .e5m2(in_e5m2), .c(in_c), .nan_in(|g_nan), .p_sig, .p_exp(p_exp7), .p_sign,
    .p_zero, .nan(s_nan), .inf(s_inf), .inf_negative(s_inf_neg), .negative_zero);
  genvar i;
  for (i = 0; i < N; i++) begin : g_exponents
    assign p_exp[EW*i +: EW] = EW'($signed(p_exp7[7*i +: 7])) + g_exp[EW*(i/32) +: EW];
  end

  genvar g;
  for (g = 0; g < NG; g++) begin : g_scales
    if (SCALED != 0) begin : g_scaled
      always_comb begin
        g_exp[EW*g +: EW] = EW'({1'b0, in_scale_a[8*g +: 8]}) + EW'({1'b0, in_scale_b[8*g +: 8]}) -
                            EW'(254);
        g_nan[g] = in_scale_a[8*g +: 8] == 8'hFF || in_scale_b[8*g +: 8] == 8'hFF;
      end
    end else begin : g_unscaled
      assign g_exp[EW*g +: EW] = '0;
      assign g_nan[g] = 1'b0;
    end
  end
  if (SCALED == 0) begin : g_scale_ports_unused
    /* verilator lint_off UNUSEDSIGNAL */
    logic unused_scales;
    assign unused_scales = ^{in_scale_a, in_scale_b};
    /* verilator lint_on UNUSEDSIGNAL */
  end

  logic                 c_zero;
  logic [23:0]          c_sig;
  logic signed [EW-1:0] c_exp;          // FP32 exponent field's, subnormals at -126
  logic signed [EW-1:0] e_max;          // E, the alignment exponent
  logic [DW*N-1:0]      p_d;            // E - product exponent, clamped
  logic [DW-1:0]        c_d;
  logic signed [EW:0]   diff;

  always_comb begin
    c_zero = in_c[30:0] == '0;
    c_sig = {in_c[30:23] != 8'd0, in_c[22:0]};
    c_exp = EW'({1'b0, (in_c[30:23] == 8'd0) ? 8'd1 : in_c[30:23]}) - EW'(127);
    // Largest exponent among the non-zero terms (zeros take no part in the alignment).
    e_max = c_zero ? NONE : c_exp;
    for (int k = 0; k < N; k++) begin
      if (!p_zero[k] && $signed(p_exp[EW*k +: EW]) > e_max) e_max = $signed(p_exp[EW*k +: EW]);
    end
    for (int k = 0; k < N; k++) begin
      diff = (EW + 1)'(e_max) - (EW + 1)'($signed(p_exp[EW*k +: EW]));
      p_d[DW*k +: DW] = (diff < 0 || diff > (EW + 1)'(DMAX_P)) ? DW'(DMAX_P) : DW'(diff);
    end
    diff = (EW + 1)'(e_max) - (EW + 1)'(c_exp);
    c_d = (diff < 0 || diff > (EW + 1)'(DMAX_C)) ? DW'(DMAX_C) : DW'(diff);
  end

  logic [8*N-1:0]       r1_p_sig;
  logic [N-1:0]         r1_p_sign;
  logic [DW*N-1:0]      r1_p_d;
  logic [23:0]          r1_c_sig;
  logic                 r1_c_sign;
  logic [DW-1:0]        r1_c_d;
  logic signed [EW-1:0] r1_q;
  logic                 r1_nan, r1_inf, r1_inf_neg, r1_negzero;
  always_ff @(posedge clk) begin
    if (load[0]) begin
      r1_p_sig <= p_sig;
      r1_p_sign <= p_sign;
      r1_p_d <= p_d;
      r1_c_sig <= c_sig;
      r1_c_sign <= in_c[31];
      r1_c_d <= c_d;
      r1_q <= e_max - EW'(F);
      r1_nan <= s_nan;
      r1_inf <= s_inf;
      r1_inf_neg <= s_inf_neg;
      r1_negzero <= negative_zero;
    end
  end

  // ---------------------------------------------------------------------------------------------
  // S2: alignment to the grid 2^(E - F).
  logic [TW*(N+1)-1:0] terms;
  for (i = 0; i < N; i++) begin : g_align
    fp8_dpa_align #(.XW(8), .XF(6), .F(F), .MODE(ALIGN_MODE), .DW(DW), .TW(TW)) u_align (
      .x(r1_p_sig[8*i +: 8]), .negative(r1_p_sign[i]), .d(r1_p_d[DW*i +: DW]), .term(terms[TW*i +: TW]));
  end
  fp8_dpa_align #(.XW(24), .XF(23), .F(F), .MODE(ALIGN_MODE), .DW(DW), .TW(TW)) u_align_c (
    .x(r1_c_sig), .negative(r1_c_sign), .d(r1_c_d), .term(terms[TW*N +: TW]));

  logic [TW*(N+1)-1:0]  r2_terms;
  logic signed [EW-1:0] r2_q;
  logic                 r2_nan, r2_inf, r2_inf_neg, r2_negzero;
  always_ff @(posedge clk) begin
    if (load[1]) begin
      r2_terms <= terms;
      r2_q <= r1_q;
      r2_nan <= r1_nan;
      r2_inf <= r1_inf;
      r2_inf_neg <= r1_inf_neg;
      r2_negzero <= r1_negzero;
    end
  end

  // ---------------------------------------------------------------------------------------------
  // S3: the exact sum (no rounding: SUMW bits hold N + 1 terms).
  logic [SUMW-1:0] sum;
  always_comb begin
    sum = '0;
    for (int k = 0; k <= N; k++) begin
      sum = sum + {{(SUMW - TW){r2_terms[TW*k+TW-1]}}, r2_terms[TW*k +: TW]};
    end
  end

  logic [SUMW-1:0]      r3_sum;
  logic signed [EW-1:0] r3_q;
  logic                 r3_nan, r3_inf, r3_inf_neg, r3_negzero;
  always_ff @(posedge clk) begin
    if (load[2]) begin
      r3_sum <= sum;
      r3_q <= r2_q;
      r3_nan <= r2_nan;
      r3_inf <= r2_inf;
      r3_inf_neg <= r2_inf_neg;
      r3_negzero <= r2_negzero;
    end
  end

  // ---------------------------------------------------------------------------------------------
  // S4: normalise, round, pack.
  logic [31:0] result;
  fp8_dpa_normround #(.SW(SUMW), .EW(EW), .RB(RESULT_BITS), .RNE(RESULT_RNE)) u_normround (
    .sum(r3_sum), .q(r3_q), .nan(r3_nan), .inf(r3_inf), .inf_negative(r3_inf_neg),
    .negative_zero(r3_negzero), .result(result));

  always_ff @(posedge clk) begin
    if (load[3]) out_d <= result;
  end
endmodule
