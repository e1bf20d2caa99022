// One term of the block aligned to the block's grid 2^(E - F) (combinational).
//
// The term's value is x * 2^(e - XF) (x has XW bits, XF of them below the binary point of the
// term's alignment exponent e); d = E - e >= 0 is its distance below the largest exponent E,
// clamped by the caller at DMAX = XW + F + GB - XF (everything is shifted out from there on).
// On the grid the term is x * 2^(F - XF - d); the bits below the grid are
//   MODE 0: dropped (truncation of the magnitude, toward zero: what NVIDIA's units do),
//   MODE 1: rounded to nearest, ties to even (a proposal),
//   MODE 2: OR-ed into the lowest kept bit (round to odd, "sticky"): the exact FP32 adder of
//           fp8_dpa_fp32acc.sv, where a later round-to-nearest-even stays correct.
// The result is the signed term in TW bits (two's complement).
module fp8_dpa_align #(
  parameter int XW = 8,
  parameter int XF = 6,
  parameter int F = 13,
  parameter int MODE = 0,
  parameter int DW = 5,
  parameter int TW = F + 4
) (
  input  logic [XW-1:0] x,
  input  logic          negative,
  input  logic [DW-1:0] d,
  output logic [TW-1:0] term
);
  localparam int GB = (MODE == 1) ? 1 : 0;      // a guard bit below the grid for rounding
  localparam int YW = XW + F + GB;              // x placed so that a right shift by XF + d aligns it
  localparam int KW = YW - XF;                  // bits that can survive the shift (incl. the guard)
  localparam int SW = $clog2(YW + 1);

  logic [YW-1:0] y;
  logic [SW-1:0] shift;
  logic [KW-1:0] kept;
  logic          sticky;                        // some bit below the kept ones is set
  logic [KW:0]   magnitude;                     // one more bit for the rounding carry
  logic          round_up;

  always_comb begin
    y = {x, {(F + GB){1'b0}}};
    shift = SW'(XF) + SW'(d);
    kept = KW'(y >> shift);
    sticky = |(y & ~({YW{1'b1}} << shift));
    round_up = 1'b0;
    if (MODE == 1) begin
      round_up = kept[0] && (sticky || kept[1]);
      magnitude = {2'b0, kept[KW-1:1]} + {{KW{1'b0}}, round_up};
    end else if (MODE == 2) begin
      magnitude = {1'b0, kept[KW-1:1], kept[0] | sticky};
    end else begin
      magnitude = {1'b0, kept};
    end
    term = negative ? -(TW'(magnitude)) : TW'(magnitude);
  end
endmodule
