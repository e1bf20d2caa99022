// hwlab_fp32_add: IEEE 754 binary32 addition, round to nearest even, with gradual underflow
// (subnormal inputs and results are kept, never flushed) -- what `float + float` is in C++ on x86-64
// and ARM with the default floating-point environment, the arithmetic of isa/insns/reduce.cpp.
//
// Combinational. Special values: a NaN operand or inf + -inf gives a NaN (0x7FC00000 here; REDUCE
// stores every NaN sum as one canonical NaN, so which NaN the adder returns never shows); inf + finite
// is that inf. An exact zero sum is +0, unless both addends are -0 (round to nearest even).
//
// Datapath: order the operands by magnitude, align the smaller significand to the larger exponent
// with three extra bits (guard, round, sticky: enough for a correctly rounded sum, since a
// subtraction that cancels more than one leading bit is exact), add or subtract, normalise
// (left shifts stop at the smallest normal exponent, which makes a subnormal), round, repack.
module hwlab_fp32_add (
  input  logic [31:0] a,
  input  logic [31:0] b,
  output logic [31:0] sum
);
  localparam logic [31:0] QNAN = 32'h7fc0_0000;

  logic a_nan, b_nan, a_inf, b_inf;
  assign a_nan = (&a[30:23]) && (|a[22:0]);
  assign b_nan = (&b[30:23]) && (|b[22:0]);
  assign a_inf = (&a[30:23]) && !(|a[22:0]);
  assign b_inf = (&b[30:23]) && !(|b[22:0]);

  // Larger magnitude first (the 31 bits below the sign order like the magnitudes).
  logic        swap;
  logic [31:0] op_big, op_small;
  assign swap     = b[30:0] > a[30:0];
  assign op_big   = swap ? b : a;
  assign op_small = swap ? a : b;

  // Significands with the hidden bit; a subnormal has exponent 1 and hidden bit 0.
  logic [7:0]  big_exp, small_exp, exp_diff;
  logic [23:0] big_sig, small_sig;
  assign big_exp   = (op_big[30:23] == 8'd0) ? 8'd1 : op_big[30:23];
  assign small_exp = (op_small[30:23] == 8'd0) ? 8'd1 : op_small[30:23];
  assign big_sig   = {op_big[30:23] != 8'd0, op_big[22:0]};
  assign small_sig = {op_small[30:23] != 8'd0, op_small[22:0]};
  assign exp_diff  = big_exp - small_exp;

  // Alignment: small_sig with guard, round and sticky bits, shifted right by exp_diff.
  logic [26:0] small_ext, small_aligned;
  logic        sticky;
  assign small_ext = {small_sig, 3'b000};
  always_comb begin
    if (exp_diff >= 8'd27) begin
      small_aligned = 27'd0;
      sticky = |small_sig;
    end else begin
      small_aligned = small_ext >> exp_diff;
      sticky = |(small_ext & ~({27{1'b1}} << exp_diff));
    end
  end

  logic        subtract;
  logic [27:0] raw;  // [27] carry, [26:3] significand, [2:0] guard, round, sticky
  assign subtract = op_big[31] ^ op_small[31];
  assign raw = subtract ? {1'b0, big_sig, 3'b000} - {1'b0, small_aligned[26:1], small_aligned[0] | sticky}
                        : {1'b0, big_sig, 3'b000} + {1'b0, small_aligned[26:1], small_aligned[0] | sticky};

  // Normalisation.
  logic [4:0]  lead_zeros, shift;
  logic [26:0] norm;
  logic [9:0]  norm_exp;
  always_comb begin
    lead_zeros = 5'd27;
    for (int k = 0; k < 27; k++)
      if (raw[k]) lead_zeros = 5'(26 - k);
    shift = 5'd0;
    norm = raw[26:0];
    norm_exp = {2'b00, big_exp};
    if (raw[27]) begin
      norm = {raw[27:2], raw[1] | raw[0]};
      norm_exp = {2'b00, big_exp} + 10'd1;
    end else begin
      // Shift left until the hidden bit is set, but not below exponent 1 (then it is subnormal).
      shift = ({3'b000, lead_zeros} < big_exp) ? lead_zeros : 5'(big_exp - 8'd1);
      norm = raw[26:0] << shift;
      norm_exp = {2'b00, big_exp} - {5'b00000, shift};
    end
  end

  // Rounding to nearest, ties to even.
  logic        round_up;
  logic [24:0] rounded;  // [24] carry out of the significand
  logic [9:0]  final_exp;
  logic [22:0] final_frac;
  assign round_up = norm[2] && (norm[1] || norm[0] || norm[3]);
  assign rounded  = {1'b0, norm[26:3]} + {24'd0, round_up};
  always_comb begin
    if (rounded[24]) begin  // 1.111..1 rounded up to 10.000..0
      final_exp  = norm_exp + 10'd1;
      final_frac = rounded[23:1];
    end else begin
      final_exp  = rounded[23] ? norm_exp : 10'd0;  // hidden bit clear: subnormal (norm_exp is 1)
      final_frac = rounded[22:0];
    end
  end

  always_comb begin
    if (a_nan || b_nan || (a_inf && b_inf && subtract))
      sum = QNAN;
    else if (a_inf || b_inf)
      sum = op_big;  // the infinity is the larger magnitude
    else if (raw == 28'd0)
      sum = {op_big[31] & op_small[31], 31'd0};  // exact zero: -0 only for -0 + -0
    else if (final_exp >= 10'd255)
      sum = {op_big[31], 8'hff, 23'd0};  // overflow rounds to infinity
    else
      sum = {op_big[31], final_exp[7:0], final_frac};
  end
endmodule
