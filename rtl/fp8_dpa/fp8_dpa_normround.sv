// The block's one normalisation and rounding (combinational): the exact integer sum s of the
// aligned terms, worth s * 2^q, becomes an FP32 number with RB fraction bits (RB <= 23), rounded
// toward zero (RNE = 0) or to nearest even (RNE = 1), in FP32's exponent range: subnormal results
// are kept (their grid is 2^(-126 - RB)), a result beyond the largest finite number becomes an
// infinity of its sign under either rounding. As Exact::round / assemble in
// isa/numerics/block_fma*.{h,cpp}.
//
// Special values (block_fma.h): NaN wins (canonical 0x7FFFFFFF), then an infinity of inf_negative's
// sign; an exact-zero sum is +0 unless every addend was a zero of negative sign (negative_zero);
// a non-zero sum that rounds to zero keeps its sign.
module fp8_dpa_normround #(
  parameter int SW = 24,   // width of the signed sum
  parameter int EW = 10,   // width of the signed exponents
  parameter int RB = 13,   // result fraction bits
  parameter int RNE = 0
) (
  input  logic [SW-1:0]        sum,
  input  logic signed [EW-1:0] q,            // the sum's unit is 2^q
  input  logic                 nan,
  input  logic                 inf,
  input  logic                 inf_negative,
  input  logic                 negative_zero,
  output logic [31:0]          result
);
  localparam int LW = $clog2(SW + 1);             // leading-zero count width
  localparam int DSW = $clog2(RB + 3);            // denormalising shift width
  localparam int XW = EW + 2;                     // exponents with headroom
  localparam logic signed [XW-1:0] EMIN = -(XW'(126));  // FP32's minimum normal exponent

  logic                 negative;
  logic [SW-1:0]        magnitude;
  logic [LW-1:0]        lz;
  logic [SW-1:0]        normalized;   // leading one at bit SW-1
  logic signed [XW-1:0] e;            // exponent of the leading one
  logic signed [XW-1:0] below;        // EMIN - e: how far the value lies below the normal range
  logic [DSW-1:0]       ds;           // right shift into the subnormal grid, clamped
  logic [SW-1:0]        denormalized;
  logic                 sticky_ds;
  logic [RB:0]          kept;         // RB + 1 bits: the result's significand before rounding
  logic                 half;
  logic                 sticky;
  logic [RB+1:0]        rounded;
  logic signed [XW-1:0] exponent_field;

  function automatic logic [LW-1:0] leading_zeros(input logic [SW-1:0] v);
    leading_zeros = LW'(SW);
    for (int i = 0; i < SW; i++) begin
      if (v[i]) leading_zeros = LW'(SW - 1 - i);
    end
  endfunction

  always_comb begin
    negative = sum[SW-1];
    magnitude = negative ? -sum : sum;
    lz = leading_zeros(magnitude);
    normalized = magnitude << lz;
    e = XW'(SW - 1) - XW'(lz) + XW'(q);
    below = EMIN - e;
    if (below <= 0) begin
      ds = '0;
    end else if (below > XW'(RB + 2)) begin
      ds = DSW'(RB + 2);
    end else begin
      ds = DSW'(below);
    end
    denormalized = normalized >> ds;
    sticky_ds = |(normalized & ~({SW{1'b1}} << ds));
    kept = denormalized[SW-1 -: RB + 1];
    half = denormalized[SW-RB-2];
    sticky = (|denormalized[SW-RB-3:0]) | sticky_ds;
    rounded = {1'b0, kept} + (RB + 2)'(RNE != 0 && half && (sticky || kept[0]));
    // Exponent field: (max(e, EMIN) + 126) + the significand's integer part (0 subnormal, 1 normal,
    // 2 after a rounding carry), the usual "add the hidden bit into the exponent" packing.
    exponent_field = ((below > 0) ? '0 : e - EMIN) + XW'(rounded[RB+1:RB]);
    if (nan) begin
      result = 32'h7FFF_FFFF;
    end else if (inf) begin
      result = {inf_negative, 31'h7F80_0000};
    end else if (magnitude == '0) begin
      result = {negative_zero, 31'd0};
    end else if (exponent_field >= XW'(255)) begin
      result = {negative, 31'h7F80_0000};
    end else begin
      result = {negative, exponent_field[7:0], 23'({rounded[RB-1:0], 23'd0} >> RB)};
    end
  end
endmodule
