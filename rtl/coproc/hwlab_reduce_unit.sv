// hwlab_reduce_unit: the co-processor's streaming REDUCE datapath (isa/insns/reduce.cpp). It sums
// the addends of an element group lane by lane in FP32, in the order they arrive, exactly as REDUCE
// defines: the first addend is taken as it is, each further one is added with one FP32 addition
// rounded to nearest even (hwlab_fp32_add), and the sum leaves as FP32 or rounded once to BF16; a
// NaN sum leaves as the canonical NaN (FP32 0x7FFFFFFF, BF16 0x7FFF).
//
// Stream: one beat is LANES consecutive elements of one addend (a row chunk of the destination
// when accumulate=yes, then one per source GPU in ascending GPU order). `in_first` marks a group's
// first addend, `in_last` its last, when the sum leaves; K addends of a group are K consecutive
// beats. Each beat says its own element type (the accumulate addend has the destination's type).
// FP8 rows (e4m3s/e4m3u) are not this unit's: the data mover dequantizes them (CAST's datapath).
//
// Pipeline, valid/ready on both sides, one beat per cycle when the output is not stalled:
//   S0 input register -> S1 accumulator (one FP32 add per lane per cycle) -> S2 output register
// A group whose last beat is accepted at clock edge t has its sum on out_data after edge t+2
// (out_valid high in the cycle after that edge). The accumulate loop is one adder deep: a faster
// clock would pipeline the adder and interleave that many groups.
module hwlab_reduce_unit #(
  parameter int unsigned LANES = 4
) (
  input  logic               clk,
  input  logic               rst_n,        // synchronous, active low
  // Addend beats.
  input  logic               in_valid,
  output logic               in_ready,
  input  logic [LANES*32-1:0] in_data,     // lane l at [32*l +: 32]: FP32 bits, or BF16 in the low 16
  input  logic               in_bf16,      // this addend's elements are BF16 (else FP32)
  input  logic               in_first,     // first addend of its group
  input  logic               in_last,      // last addend of its group: the sum leaves
  input  logic               in_out_bf16,  // with in_last: the sum leaves as BF16 (else FP32)
  // Sums.
  output logic               out_valid,
  input  logic               out_ready,
  output logic [LANES*32-1:0] out_data     // lane l at [32*l +: 32]: FP32 bits, or BF16 in the low 16
);
  // S0: the accepted beat, its elements widened to FP32 (BF16 is FP32's upper half: exact).
  logic               s0_valid, s0_first, s0_last, s0_out_bf16;
  logic [LANES*32-1:0] s0_x;
  // S1: the running sums; s1_valid when they are complete (the group's last addend is in).
  logic               s1_valid, s1_out_bf16;
  logic [LANES*32-1:0] acc, acc_next;
  // S2: the output register.
  logic               out_valid_q;
  logic [LANES*32-1:0] out_q, out_next;

  logic out_free, s1_free, s0_advance;
  assign out_free   = !out_valid_q || out_ready;
  assign s1_free    = !s1_valid || out_free;  // a complete sum moves on in the same edge
  assign s0_advance = s0_valid && s1_free;
  assign in_ready   = !s0_valid || s1_free;
  assign out_valid  = out_valid_q;
  assign out_data   = out_q;

  genvar l;
  for (l = 0; l < LANES; l++) begin : g_lane
    logic [31:0] x, sum, total;
    logic        total_nan;
    assign x = s0_x[32*l +: 32];
    hwlab_fp32_add add (.a(acc[32*l +: 32]), .b(x), .sum(sum));
    assign acc_next[32*l +: 32] = s0_first ? x : sum;

    // S2 conversion of a complete sum.
    assign total = acc[32*l +: 32];
    assign total_nan = (&total[30:23]) && (|total[22:0]);
    always_comb begin
      if (!s1_out_bf16)
        out_next[32*l +: 32] = total_nan ? 32'h7fff_ffff : total;
      else if (total_nan)
        out_next[32*l +: 32] = 32'h0000_7fff;
      else  // nearest even on the upper half; a carry may reach the exponent (up to infinity)
        out_next[32*l +: 32] = {16'h0000, 16'((total + 32'h0000_7fff + {31'd0, total[16]}) >> 16)};
    end
  end

  always_ff @(posedge clk) begin
    if (!rst_n) begin
      s0_valid    <= 1'b0;
      s1_valid    <= 1'b0;
      out_valid_q <= 1'b0;
    end else begin
      if (in_ready) s0_valid <= in_valid;
      if (s0_advance) s1_valid <= s0_last;
      else if (out_free) s1_valid <= 1'b0;
      if (out_free) out_valid_q <= s1_valid;
    end
  end

  always_ff @(posedge clk) begin
    if (in_ready && in_valid) begin
      for (int k = 0; k < LANES; k++)
        s0_x[32*k +: 32] <= in_bf16 ? {in_data[32*k +: 16], 16'h0000} : in_data[32*k +: 32];
      s0_first    <= in_first;
      s0_last     <= in_last;
      s0_out_bf16 <= in_out_bf16;
    end
    if (s0_advance) begin
      acc         <= acc_next;
      s1_out_bf16 <= s0_out_bf16;
    end
    if (out_free && s1_valid) out_q <= out_next;
  end
endmodule
