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

  logic v1, v2, v3, v4;
  logic rdy1, rdy2, rdy3, rdy4;
  always_comb begin
    rdy4 = !v4 || out_ready;
    rdy3 = !v3 || rdy4;
    rdy2 = !v2 || rdy3;
    rdy1 = !v1 || rdy2;
  end
  assign in_ready = rdy1;
  assign out_valid = v4;
  always_ff @(posedge clk) begin
    if (!rst_n) begin
      v1 <= 1'b0;
      v2 <= 1'b0;
      v3 <= 1'b0;
      v4 <= 1'b0;
    end else begin
      if (rdy1) v1 <= in_valid;
      if (rdy2) v2 <= v1;
      if (rdy3) v3 <= v2;
      if (rdy4) v4 <= v3;
    end
  end

  // ---------------------------------------------------------------------------------------------
  // S1: decode, products, special values.
  logic [N-1:0]   a_sign, b_sign, a_zero, b_zero, a_nan, b_nan, a_inf, b_inf;
  logic [4*N-1:0] a_sig, b_sig;
  logic [6*N-1:0] a_exp, b_exp;
  logic [8*N-1:0] p_sig;
  logic [6*N-1:0] p_shift;        // product exponent - (-28): its place in the fixed-point register
  logic [N-1:0]   p_sign, p_zero, p_nan, p_pinf, p_ninf;
  genvar i;
  for (i = 0; i < N; i++) begin : g_products
    fp8_dpa_decode u_a (.code(in_a[8*i +: 8]), .e5m2(in_e5m2), .sign(a_sign[i]), .sig(a_sig[4*i +: 4]),
                        .exp(a_exp[6*i +: 6]), .zero(a_zero[i]), .nan(a_nan[i]), .inf(a_inf[i]));
    fp8_dpa_decode u_b (.code(in_b[8*i +: 8]), .e5m2(in_e5m2), .sign(b_sign[i]), .sig(b_sig[4*i +: 4]),
                        .exp(b_exp[6*i +: 6]), .zero(b_zero[i]), .nan(b_nan[i]), .inf(b_inf[i]));
    always_comb begin
      p_sig[8*i +: 8] = {4'd0, a_sig[4*i +: 4]} * {4'd0, b_sig[4*i +: 4]};
      // ea + eb + 28 in [0, 58] for finite operands (an infinity's exponent, 16, is never used)
      p_shift[6*i +: 6] = a_exp[6*i +: 6] + b_exp[6*i +: 6] + 6'd28;
      p_sign[i] = a_sign[i] ^ b_sign[i];
      p_zero[i] = a_zero[i] || b_zero[i];
      p_nan[i] = a_nan[i] || b_nan[i] || (a_inf[i] && b_zero[i]) || (a_zero[i] && b_inf[i]);
      p_pinf[i] = !p_nan[i] && (a_inf[i] || b_inf[i]) && !p_sign[i];
      p_ninf[i] = !p_nan[i] && (a_inf[i] || b_inf[i]) && p_sign[i];
    end
  end

  logic c_nan, c_inf, c_zero, s_pinf, s_ninf, s_nan, negative_zero;
  always_comb begin
    c_nan = in_c[30:23] == 8'hFF && in_c[22:0] != '0;
    c_inf = in_c[30:23] == 8'hFF && in_c[22:0] == '0;
    c_zero = in_c[30:0] == '0;
    s_pinf = (|p_pinf) || (c_inf && !in_c[31]);
    s_ninf = (|p_ninf) || (c_inf && in_c[31]);
    s_nan = (|p_nan) || c_nan || (s_pinf && s_ninf);
    negative_zero = c_zero && in_c[31] && (&(p_zero & p_sign));
  end

  logic [8*N-1:0] r1_p_sig;
  logic [6*N-1:0] r1_p_shift;
  logic [N-1:0]   r1_p_sign;
  logic [31:0]    r1_c;
  logic           r1_nan, r1_inf, r1_inf_neg, r1_negzero;
  always_ff @(posedge clk) begin
    if (rdy1 && in_valid) begin
      r1_p_sig <= p_sig;
      r1_p_shift <= p_shift;
      r1_p_sign <= p_sign;
      r1_c <= in_c;
      r1_nan <= s_nan;
      r1_inf <= s_pinf || s_ninf;
      r1_inf_neg <= s_ninf;
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
    if (rdy2 && v1) begin
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
    if (rdy3 && v2) begin
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
    if (rdy4 && v3) out_d <= (r3_pass_c && !r3_nan && !r3_inf) ? r3_c : rounded;
  end
endmodule
