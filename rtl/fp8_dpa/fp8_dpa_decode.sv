// One FP8 operand code, E4M3 or E5M2 (OCP FP8), decoded into the form the block adds:
// value = sig / 8 * 2^exp, sig in [8, 16) for normal numbers. A subnormal brings its format's
// minimum exponent (what the hardware's exponent adders see: isa/numerics/block_fma.h,
// ProductExponent::operand_exponent_sum). E4M3 has no infinity (S.1111.111 is NaN); E5M2 is
// IEEE-like. Combinational.
module fp8_dpa_decode (
  input  logic [7:0]        code,
  input  logic              e5m2,   // 0: E4M3 (bias 7), 1: E5M2 (bias 15)
  output logic              sign,
  output logic [3:0]        sig,    // significand with the hidden bit at bit 3
  output logic signed [5:0] exp,    // unbiased exponent, subnormals at the minimum
  output logic              zero,
  output logic              nan,
  output logic              inf
);
  logic [3:0] e4;  // E4M3 exponent field
  logic [4:0] e5;  // E5M2 exponent field
  always_comb begin
    sign = code[7];
    e4 = code[6:3];
    e5 = code[6:2];
    if (e5m2) begin
      sig = {e5 != 5'd0, code[1:0], 1'b0};
      exp = $signed({1'b0, (e5 == 5'd0) ? 5'd1 : e5}) - 6'sd15;
      nan = e5 == 5'd31 && code[1:0] != 2'd0;
      inf = e5 == 5'd31 && code[1:0] == 2'd0;
    end else begin
      sig = {e4 != 4'd0, code[2:0]};
      exp = $signed({2'b0, (e4 == 4'd0) ? 4'd1 : e4}) - 6'sd7;
      nan = code[6:0] == 7'h7F;
      inf = 1'b0;
    end
    zero = sig == 4'd0;
  end
endmodule
