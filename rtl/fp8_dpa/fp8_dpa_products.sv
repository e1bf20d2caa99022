// N FP8 operand pairs (E4M3 or E5M2, fp8_dpa_decode) into exact products, and the special-value
// summary of the whole sum a_0*b_0 + ... + a_{N-1}*b_{N-1} + C with the rules of
// isa/numerics/block_fma.h: any NaN, inf*0, or infinities of both signs give NaN; otherwise an
// infinity keeps its sign; an exact zero sum is -0 only when every addend is a zero of negative
// sign (IEEE). Combinational; stage 1 of every core (fp8_dpa_core, fp8_dpa_exact_core,
// fp8_dpa_fma_step with N = 1).
module fp8_dpa_products #(
  parameter int N = 32
) (
  input  logic [8*N-1:0] a,              // a_i = a[8i+7:8i]
  input  logic [8*N-1:0] b,
  input  logic           e5m2,           // operand format: 0 E4M3, 1 E5M2
  input  logic [31:0]    c,              // FP32 addend (its special values only)
  input  logic           nan_in,         // another cause of NaN (fp8_dpa_core: a NaN scale)
  output logic [8*N-1:0] p_sig,          // a_sig * b_sig: value = p_sig / 64 * 2^p_exp
  output logic [7*N-1:0] p_exp,          // signed ea + eb (subnormals at their format's minimum)
  output logic [N-1:0]   p_sign,
  output logic [N-1:0]   p_zero,
  output logic           nan,
  output logic           inf,            // +inf or -inf (not NaN)
  output logic           inf_negative,
  output logic           negative_zero
);
  logic [N-1:0] a_sign, b_sign, a_zero, b_zero, a_nan, b_nan, a_inf, b_inf;
  logic [4*N-1:0] a_sig, b_sig;
  logic [6*N-1:0] a_exp, b_exp;
  logic [N-1:0] p_nan, p_pinf, p_ninf;

  genvar i;
  for (i = 0; i < N; i++) begin : g_products
    fp8_dpa_decode u_a (.code(a[8*i +: 8]), .e5m2, .sign(a_sign[i]), .sig(a_sig[4*i +: 4]),
                        .exp(a_exp[6*i +: 6]), .zero(a_zero[i]), .nan(a_nan[i]), .inf(a_inf[i]));
    fp8_dpa_decode u_b (.code(b[8*i +: 8]), .e5m2, .sign(b_sign[i]), .sig(b_sig[4*i +: 4]),
                        .exp(b_exp[6*i +: 6]), .zero(b_zero[i]), .nan(b_nan[i]), .inf(b_inf[i]));
    always_comb begin
      p_sig[8*i +: 8] = {4'd0, a_sig[4*i +: 4]} * {4'd0, b_sig[4*i +: 4]};
      p_exp[7*i +: 7] = {a_exp[6*i+5], a_exp[6*i +: 6]} + {b_exp[6*i+5], b_exp[6*i +: 6]};
      p_sign[i] = a_sign[i] ^ b_sign[i];
      p_zero[i] = a_zero[i] || b_zero[i];
      p_nan[i] = a_nan[i] || b_nan[i] || (a_inf[i] && b_zero[i]) || (a_zero[i] && b_inf[i]);
      p_pinf[i] = !p_nan[i] && (a_inf[i] || b_inf[i]) && !p_sign[i];
      p_ninf[i] = !p_nan[i] && (a_inf[i] || b_inf[i]) && p_sign[i];
    end
  end

  logic c_nan, c_inf, c_zero, s_pinf, s_ninf;
  always_comb begin
    c_nan = c[30:23] == 8'hFF && c[22:0] != '0;
    c_inf = c[30:23] == 8'hFF && c[22:0] == '0;
    c_zero = c[30:0] == '0;
    s_pinf = (|p_pinf) || (c_inf && !c[31]);
    s_ninf = (|p_ninf) || (c_inf && c[31]);
    nan = (|p_nan) || c_nan || nan_in || (s_pinf && s_ninf);
    inf = s_pinf || s_ninf;
    inf_negative = s_ninf;
    negative_zero = c_zero && c[31] && (&(p_zero & p_sign));
  end
endmodule
