// FP8 dot-product-accumulate unit, the one top module of every variant (rtl/README.md): one block
// D = sum_{i<N} a_i*b_i + C per accepted input, valid/ready on both sides. The variants are
// parameter sets of this module, listed once in fp8_dpa_variants.h (kFp8DpaVariants): Verilator
// gets them as -G<param>=<value>, Yosys as `chparam -set`.
//
//   ARCH 0 block       fp8_dpa_core: align to the largest exponent keeping F fraction bits
//                      (ALIGN_MODE 0 truncate, 1 nearest even), exact sum, round to RESULT_BITS
//                      (RESULT_RNE 0 toward zero, 1 nearest even); SCALED 1 applies one UE8M0 scale
//                      of A and of B per 32 products inside the block. Latency 4.
//   ARCH 1 fp32 chain  fp8_dpa_fp32acc: N exact FMA steps in order, each rounded to FP32 (nearest
//                      even), 4 steps per stage. Latency N / 4.
//   ARCH 2 exact       fp8_dpa_exact_core: Kulisch-style exact sum, rounded once to FP32. Latency 4.
// F, ALIGN_MODE, RESULT_BITS, RESULT_RNE and SCALED matter to ARCH 0 only; the scale ports exist in
// every variant (one interface for every Verilated model) and are ignored unless SCALED = 1.
module fp8_dpa_unit #(
  parameter int ARCH = 0,           // 0 block, 1 fp32 chain, 2 exact (Fp8DpaArch in fp8_dpa_variants.h)
  parameter int N = 32,             // products per block
  parameter int F = 13,             // fraction bits kept after alignment (ARCH 0)
  parameter int ALIGN_MODE = 0,     // 0: truncate toward zero, 1: nearest even (ARCH 0)
  parameter int RESULT_BITS = 13,   // result fraction bits, <= 23 (ARCH 0)
  parameter int RESULT_RNE = 0,     // 0: toward zero, 1: nearest even (ARCH 0)
  parameter int SCALED = 0          // 1: group scales applied inside the block (ARCH 0)
) (
  input  logic                       clk,
  input  logic                       rst_n,       // synchronous, active low
  input  logic                       in_valid,
  output logic                       in_ready,
  input  logic                       in_e5m2,     // operand format: 0 E4M3, 1 E5M2
  input  logic [8*N-1:0]             in_a,        // a_i = in_a[8i+7:8i]
  input  logic [8*N-1:0]             in_b,
  input  logic [31:0]                in_c,        // FP32 accumulator in
  input  logic [8*((N+31)/32)-1:0]   in_scale_a,  // UE8M0 per 32 products (SCALED = 1 only)
  input  logic [8*((N+31)/32)-1:0]   in_scale_b,
  output logic                       out_valid,
  input  logic                       out_ready,
  output logic [31:0]                out_d        // FP32 result
);
  localparam int ARCH_BLOCK = 0;
  localparam int ARCH_FP32_CHAIN = 1;
  localparam int ARCH_EXACT = 2;

  if (ARCH == ARCH_BLOCK) begin : g_block
    fp8_dpa_core #(.N(N), .F(F), .ALIGN_MODE(ALIGN_MODE), .RESULT_BITS(RESULT_BITS),
                   .RESULT_RNE(RESULT_RNE), .SCALED(SCALED)) u_core (
      .clk, .rst_n, .in_valid, .in_ready, .in_e5m2, .in_a, .in_b, .in_c,
      .in_scale_a, .in_scale_b, .out_valid, .out_ready, .out_d);
  end else begin : g_unscaled
    // The chain and the exact unit take no scales (fp8_dpa_core ignores them itself when SCALED = 0).
    /* verilator lint_off UNUSEDSIGNAL */
    logic unused_scales;
    assign unused_scales = ^{in_scale_a, in_scale_b};
    /* verilator lint_on UNUSEDSIGNAL */
    if (ARCH == ARCH_FP32_CHAIN) begin : g_fp32_chain
      fp8_dpa_fp32acc #(.N(N), .STEPS_PER_STAGE(4)) u_chain (
        .clk, .rst_n, .in_valid, .in_ready, .in_e5m2, .in_a, .in_b, .in_c, .out_valid, .out_ready, .out_d);
    end else if (ARCH == ARCH_EXACT) begin : g_exact
      fp8_dpa_exact_core #(.N(N)) u_core (
        .clk, .rst_n, .in_valid, .in_ready, .in_e5m2, .in_a, .in_b, .in_c, .out_valid, .out_ready, .out_d);
    end else begin : g_bad_arch
      $error("fp8_dpa_unit: ARCH must be 0 (block), 1 (fp32 chain) or 2 (exact)");
    end
  end
endmodule
