// Valid/ready control of a STAGES-stage pipeline, one item per stage: stage k loads when it is
// empty or its successor takes its content, so every stage holds its data while the next one is
// not ready, and a full pipeline moves one item per cycle. load[k]: stage k's data registers take
// their input this cycle (stage 0 from the input side, stage k from stage k - 1). Shared by every
// core of fp8_dpa_unit.
module fp8_dpa_pipe_ctrl #(
  parameter int STAGES = 4
) (
  input  logic              clk,
  input  logic              rst_n,      // synchronous, active low
  input  logic              in_valid,
  output logic              in_ready,
  output logic              out_valid,
  input  logic              out_ready,
  output logic [STAGES-1:0] load
);
  logic [STAGES-1:0] v;    // stage k holds an item
  logic [STAGES:0]   rdy;  // stage k may load (rdy[STAGES]: the output side takes)
  always_comb begin
    rdy[STAGES] = out_ready;
    for (int k = STAGES - 1; k >= 0; k--) rdy[k] = !v[k] || rdy[k+1];
    load[0] = rdy[0] && in_valid;
    for (int k = 1; k < STAGES; k++) load[k] = rdy[k] && v[k-1];
  end
  assign in_ready = rdy[0];
  assign out_valid = v[STAGES-1];
  always_ff @(posedge clk) begin
    if (!rst_n) begin
      v <= '0;
    end else begin
      if (rdy[0]) v[0] <= in_valid;
      for (int k = 1; k < STAGES; k++) begin
        if (rdy[k]) v[k] <= v[k-1];
      end
    end
  end
endmodule
