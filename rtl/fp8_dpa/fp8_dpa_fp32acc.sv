// Full FP32 accumulation (the `fp32-acc` preset of isa/numerics, DeepSeek-V3 §3.5.2): every product
// added to the FP32 accumulator with one round-to-nearest-even, in order:
//   D = RNE(... RNE(RNE(C + a_0*b_0) + a_1*b_1) ... + a_{N-1}*b_{N-1}),
// i.e. numerics::dot(preset("fp32-acc"), a, b, N, C) (a block of one product, chained). At the
// throughput of the block units (one N-product dot per cycle) this is a chain of N exact-FMA steps
// (fp8_dpa_fma_step.sv), registered every STEPS_PER_STAGE steps: N / STEPS_PER_STAGE cycles of
// latency, valid/ready as the block units. Operand pairs travel with the accumulator until their
// step (pairs already consumed are never read: synthesis removes their registers).
module fp8_dpa_fp32acc #(
  parameter int N = 32,
  parameter int STEPS_PER_STAGE = 4
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
  localparam int NS = N / STEPS_PER_STAGE;

  logic [NS-1:0] load;  // stage k's registers take their input
  fp8_dpa_pipe_ctrl #(.STAGES(NS)) u_ctrl (.clk, .rst_n, .in_valid, .in_ready, .out_valid, .out_ready,
                                           .load);

  genvar k, s;
  for (k = 0; k < NS; k++) begin : g_stage
    logic [31:0]    acc_in;
    logic [8*N-1:0] a_in, b_in;
    logic           e5m2_in;
    if (k == 0) begin : g_first
      assign acc_in = in_c;
      assign a_in = in_a;
      assign b_in = in_b;
      assign e5m2_in = in_e5m2;
    end else begin : g_next
      assign acc_in = g_stage[k-1].r_acc;
      assign a_in = g_stage[k-1].r_a;
      assign b_in = g_stage[k-1].r_b;
      assign e5m2_in = g_stage[k-1].r_e5m2;
    end
    for (s = 0; s < STEPS_PER_STAGE; s++) begin : g_step
      localparam int J = k * STEPS_PER_STAGE + s;  // product index
      logic [31:0] acc, result;
      if (s == 0) begin : g_first_step
        assign acc = acc_in;
      end else begin : g_next_step
        assign acc = g_step[s-1].result;
      end
      fp8_dpa_fma_step #(.F(32)) u_step (.acc, .a(a_in[8*J +: 8]), .b(b_in[8*J +: 8]), .e5m2(e5m2_in),
                                         .result);
    end
    logic [31:0] r_acc;
    /* verilator lint_off UNUSEDSIGNAL */
    logic [8*N-1:0] r_a, r_b;   // the pairs of later stages are read; the others are removed
    logic           r_e5m2;
    /* verilator lint_on UNUSEDSIGNAL */
    always_ff @(posedge clk) begin
      if (load[k]) begin
        r_acc <= g_step[STEPS_PER_STAGE-1].result;
        r_a <= a_in;
        r_b <= b_in;
        r_e5m2 <= e5m2_in;
      end
    end
  end
  assign out_d = g_stage[NS-1].r_acc;
endmodule
