// Exact FP8 block (the `exact` preset of isa/numerics with one block): D = RNE(sum a_i*b_i + C),
// the exact sum rounded once to FP32. Kulisch-style: every product sits in a fixed-point register
// (products of E4M3/E5M2 codes span 2^-34 .. 2^32, so no alignment to a largest exponent is needed)
// and a plain integer adder tree sums them exactly. C joins that sum in a window of weights
// 2^-60 .. 2^62:
//   - C >= 2^62 (exponent >= 62): the products (< 2^37) are below a quarter of C's ulp; D = C.
//   - the product sum is 0: D = C (or the IEEE zero).
//   - otherwise C is shifted into the window; its bits below 2^-60 are OR-ed into the window's
//     lowest bit (round to odd). The product sum is a non-zero multiple of 2^-34 and any C that
//     loses bits is below 2^-35, so |sum| >= 2^-35 and the window keeps 25 bits or more below its
//     leading one: rounding that to nearest even gives the exactly rounded result (Boldo &
//     Melquiond, IEEE TC 2008).
// No overflow is possible (|sum| < 2^63 in the window; D = C above it). Special values as
// block_fma.h. Pipeline: S1 decode, products | S2 fixed-point placement, product sum, C placement |
// S3 C + products | S4 normalise, round, pack. Valid/ready as fp8_dpa_core.
module fp8_dpa_exact_core #(
  parameter int N = 32
) (
  input  logic           clk,
  input  logic           rst_n,
  input  logic           in_valid,
  output logic           in_ready,
  input  logic           in_e5m2,
  input  logic [8*N-1:0] in_a,
  input  logic [8*N-1:0] in_b,
  input  logic [31:0]    in_c,
  output logic           out_valid,
  input  logic           out_ready,
  output logic [31:0]    out_d
);
  localparam int PLSB = -34;                    // weight of a product register's bit 0
  localparam int PW = 66;                       // products are below 2^32 = 2^(PLSB + 66)
  localparam int SPW = PW + 1 + $clog2(N);      // their exact signed sum
  localparam int WLSB = -60;                    // weight of the window's bit 0
  localparam int WW = 123;                      // magnitude bits of the window: 2^-60 .. 2^62
  localparam int SUMW = WW + 2;                 // signed window sum (C + products)
  localparam int EW = 10;

  logic [3:0] load;  // stage k + 1's registers take their input
  fp8_dpa_pipe_ctrl #(.STAGES(4)) u_ctrl (.clk, .rst_n, .in_valid, .in_ready, .out_valid, .out_ready,
                                          .load);

  // ---------------------------------------------------------------------------------------------
  // S1: decode, products, special values.
  logic [8*N-1:0] p_sig;
  logic [7*N-1:0] p_exp;          // ea + eb
  logic [6*N-1:0] p_shift;        // product exponent - (-28): its place in the fixed-point register
  logic [N-1:0]   p_sign;
  logic           s_nan, s_inf, s_inf_neg, negative_zero;
  /* verilator lint_off UNUSEDSIGNAL */
  logic [N-1:0]   p_zero;         // zeros need no care here: their p_sig is 0
  /* verilator lint_on UNUSEDSIGNAL */
  fp8_dpa_products #(.N(N)) u_products (
    .a(in_a), .b(in_b), .e5m2(in_e5m2), .c(in_c), .nan_in(1'b0), .p_sig, .p_exp, .p_sign, .p_zero,
    .nan(s_nan), .inf(s_inf), .inf_negative(s_inf_neg), .negative_zero);
  genvar i;
  for (i = 0; i < N; i++) begin : g_shifts
    // ea + eb + 28 in [0, 58] for finite operands (an infinity's exponent, 16, is never used)
    assign p_shift[6*i +: 6] = 6'(p_exp[7*i +: 7] + 7'd28);
  end

  logic [8*N-1:0] r1_p_sig;
  logic [6*N-1:0] r1_p_shift;
  logic [N-1:0]   r1_p_sign;
  logic [31:0]    r1_c;
  logic           r1_nan, r1_inf, r1_inf_neg, r1_negzero;
  always_ff @(posedge clk) begin
    if (load[0]) begin
      r1_p_sig <= p_sig;
      r1_p_shift <= p_shift;
      r1_p_sign <= p_sign;
      r1_c <= in_c;
      r1_nan <= s_nan;
      r1_inf <= s_inf;
      r1_inf_neg <= s_inf_neg;
      r1_negzero <= negative_zero;
    end
  end

  // ---------------------------------------------------------------------------------------------
  // S2: products into the fixed-point register (value = sig * 2^(ea+eb-6) = sig << (shift) at
  // weight 2^PLSB) and their exact sum; C into the window.
  logic [SPW-1:0] p_sum;
  always_comb begin
    p_sum = '0;
    for (int k = 0; k < N; k++) begin
      logic [PW-1:0] placed;
      placed = {{(PW - 8){1'b0}}, r1_p_sig[8*k +: 8]} << r1_p_shift[6*k +: 6];
      p_sum = r1_p_sign[k] ? p_sum - SPW'(placed) : p_sum + SPW'(placed);
    end
  end

  localparam int CSW = 8;                       // C shift: 62 - exponent, 1 .. 188, clamped at WW
  logic [7:0]     c_field;
  logic [23:0]    c_sig;
  logic [CSW-1:0] c_shift;
  logic [WW-1:0]  c_top, c_window;
  logic           c_big, c_sticky;
  always_comb begin
    c_field = r1_c[30:23];
    c_sig = {c_field != 8'd0, r1_c[22:0]};
    c_big = c_field >= 8'd189;                  // exponent >= 62
    // c_top: C at exponent 62 (its lsb at window bit 62 - 23 - WLSB = 99)
    c_top = {c_sig, {(WW - 24){1'b0}}};
    if (c_big) begin
      c_shift = '0;
    end else if (c_field == 8'd0) begin
      c_shift = CSW'(62 + 126);                 // subnormal: exponent -126
    end else begin
      c_shift = CSW'(189) - c_field;            // 62 - (field - 127)
    end
    if (c_shift > CSW'(WW)) c_shift = CSW'(WW);
    c_window = c_top >> c_shift;
    c_sticky = |(c_top & ~({WW{1'b1}} << c_shift));
    c_window[0] = c_window[0] | c_sticky;
  end

  logic [SPW-1:0] r2_p_sum;
  logic [WW-1:0]  r2_c_window;
  logic           r2_c_sign, r2_c_big;
  logic [31:0]    r2_c;
  logic           r2_nan, r2_inf, r2_inf_neg, r2_negzero;
  always_ff @(posedge clk) begin
    if (load[1]) begin
      r2_p_sum <= p_sum;
      r2_c_window <= c_window;
      r2_c_sign <= r1_c[31];
      r2_c_big <= c_big;
      r2_c <= r1_c;
      r2_nan <= r1_nan;
      r2_inf <= r1_inf;
      r2_inf_neg <= r1_inf_neg;
      r2_negzero <= r1_negzero;
    end
  end

  // ---------------------------------------------------------------------------------------------
  // S3: C + products in the window (the product sum's bit 0 is window bit PLSB - WLSB = 26).
  logic [SUMW-1:0] sum;
  logic            pass_c;                      // D = C
  always_comb begin
    sum = {{(SUMW - SPW - (PLSB - WLSB)){r2_p_sum[SPW-1]}}, r2_p_sum, {(PLSB - WLSB){1'b0}}};
    sum = r2_c_sign ? sum - SUMW'(r2_c_window) : sum + SUMW'(r2_c_window);
    pass_c = r2_c_big || (r2_p_sum == '0 && r2_c[30:0] != '0);
  end

  logic [SUMW-1:0] r3_sum;
  logic            r3_pass_c;
  logic [31:0]     r3_c;
  logic            r3_nan, r3_inf, r3_inf_neg, r3_negzero;
  always_ff @(posedge clk) begin
    if (load[2]) begin
      r3_sum <= sum;
      r3_pass_c <= pass_c;
      r3_c <= r2_c;
      r3_nan <= r2_nan;
      r3_inf <= r2_inf;
      r3_inf_neg <= r2_inf_neg;
      r3_negzero <= r2_negzero;
    end
  end

  // ---------------------------------------------------------------------------------------------
  // S4: normalise, round to nearest even, pack.
  logic [31:0] rounded;
  fp8_dpa_normround #(.SW(SUMW), .EW(EW), .RB(23), .RNE(1)) u_normround (
    .sum(r3_sum), .q(EW'(WLSB)), .nan(r3_nan), .inf(r3_inf), .inf_negative(r3_inf_neg),
    .negative_zero(r3_negzero), .result(rounded));

  always_ff @(posedge clk) begin
    if (load[3]) out_d <= (r3_pass_c && !r3_nan && !r3_inf) ? r3_c : rounded;
  end
endmodule
