// hwlab_desc_decoder: the co-processor's descriptor decoder. It accepts exactly the descriptors
// isa::decode accepts (isa/encoding.cpp) and rejects the others with the same reason code
// (hwlab_isa_pkg::reject_e = isa::Reject), the same failing field and the same reserved bit, in the
// same order of checks:
//   1. unknown opcode        2. format version        3. a set bit outside the header and the
//   row's fields (the lowest)   4. per field, in the row's order: address reserved bits, empty
//   destination set / GPU mask, accumulator code, [min, max] range   5. the row's cross-field rule
// Steps 1-4 read the instruction table (hwlab_isa_pkg::TABLE_*), so a new row or field needs no
// change here; step 5 is written out below, one line per Semantics::check of
// isa/insns/ (CAST, LDTRANS, LOGFMT.ENC/DEC, SIGNAL, WAIT, WCAST).
//
// One descriptor per cycle; the decoded result is on the outputs the cycle after the descriptor is
// accepted (one register stage, valid/ready). Yosys 0.23 has no `import`: package names are
// written out in full.
module hwlab_desc_decoder (
  input  logic         clk,
  input  logic         rst_n,  // synchronous, active low
  input  logic         in_valid,
  output logic         in_ready,
  input  logic [511:0] in_desc,  // bit b is bit b%8 of descriptor byte b/8
  output logic         out_valid,
  input  logic         out_ready,
  output logic [7:0]   out_opcode,
  output logic         out_malformed,  // out_reason != REJECT_NONE
  output logic [3:0]   out_reason,     // hwlab_isa_pkg::reject_e
  output logic [3:0]   out_field,      // field checks (reasons 4..9): the failing field's index, else 0
  output logic [8:0]   out_bit,        // REJECT_RESERVED_BIT: the lowest reserved bit set, else 0
  output logic [4:0]   out_field_count,
  // Field i of the row at [64*i +: 64], zero-extended; zero past the row's fields and for an unknown
  // opcode. Meaningful when out_reason is none, a field check or the cross-field rule.
  output logic [hwlab_isa_pkg::TABLE_MAX_FIELDS*64-1:0] out_fields
);
  localparam int unsigned ROWS = hwlab_isa_pkg::TABLE_ROWS;
  localparam int unsigned SLOTS = hwlab_isa_pkg::TABLE_MAX_FIELDS;
  localparam int unsigned DBITS = hwlab_isa_pkg::DESCRIPTOR_BITS;

  logic [7:0] opcode;
  logic [3:0] version;
  assign opcode  = in_desc[hwlab_isa_pkg::OPCODE_LSB +: hwlab_isa_pkg::OPCODE_WIDTH];
  assign version = in_desc[hwlab_isa_pkg::VERSION_LSB +: hwlab_isa_pkg::VERSION_WIDTH];

  // The matching row's used bits and fields, and each field's own check, from the table constants.
  // The loops have constant bounds: synthesis unrolls them into a mux per field slot, and every
  // table entry becomes a constant.
  logic                known;
  logic [DBITS-1:0]    used;
  logic [4:0]          field_count;
  logic [SLOTS-1:0]    slot_bad;
  logic [SLOTS*4-1:0]  slot_why;
  logic [SLOTS*64-1:0] fields;
  logic [8:0]          lsb;
  logic [7:0]          width, kind, row_fields;
  logic [63:0]         mask, lo, hi, value;
  always_comb begin
    known = 1'b0;
    used = '0;
    field_count = '0;
    slot_bad = '0;
    slot_why = '0;
    fields = '0;
    lsb = '0;
    width = '0;
    kind = '0;
    row_fields = '0;
    mask = '0;
    lo = '0;
    hi = '0;
    value = '0;
    for (int r = 0; r < ROWS; r++) begin
      if (opcode == hwlab_isa_pkg::TABLE_OPCODE[8*r +: 8]) begin
        known = 1'b1;
        used = hwlab_isa_pkg::TABLE_USED_BITS[DBITS*r +: DBITS];
        row_fields = hwlab_isa_pkg::TABLE_FIELD_COUNT[8*r +: 8];
        field_count = row_fields[4:0];
        for (int i = 0; i < SLOTS; i++) begin
          if (i < 32'(row_fields)) begin
            lsb   = hwlab_isa_pkg::TABLE_FIELD_LSB[16*(SLOTS*r+i) +: 9];
            width = hwlab_isa_pkg::TABLE_FIELD_WIDTH[8*(SLOTS*r+i) +: 8];
            kind  = hwlab_isa_pkg::TABLE_FIELD_KIND[8*(SLOTS*r+i) +: 8];
            lo    = hwlab_isa_pkg::TABLE_FIELD_MIN[64*(SLOTS*r+i) +: 64];
            hi    = hwlab_isa_pkg::TABLE_FIELD_MAX[64*(SLOTS*r+i) +: 64];
            mask  = width == 8'd64 ? {64{1'b1}} : ((64'd1 << width) - 64'd1);
            // A field never crosses a 64-bit word (isa/table.h): read its word, shift, mask.
            value = (in_desc[64*lsb[8:6] +: 64] >> lsb[5:0]) & mask;
            fields[64*i +: 64] = value;
            case (32'(kind))
              hwlab_isa_pkg::FIELD_KIND_GLOBAL_ADDRESS: begin
                slot_bad[i] = |value[63:hwlab_isa_pkg::ADDR_USED_BITS];
                slot_why[4*i +: 4] = hwlab_isa_pkg::REJECT_ADDRESS_RESERVED_BIT;
              end
              hwlab_isa_pkg::FIELD_KIND_DESTINATION_SET: begin
                slot_bad[i] = value[hwlab_isa_pkg::DSET_MASK_LSB +: hwlab_isa_pkg::DSET_MASK_WIDTH] == '0;
                slot_why[4*i +: 4] = hwlab_isa_pkg::REJECT_EMPTY_DESTINATION_SET;
              end
              hwlab_isa_pkg::FIELD_KIND_GPU_MASK: begin
                slot_bad[i] = value == 64'd0;
                slot_why[4*i +: 4] = hwlab_isa_pkg::REJECT_EMPTY_GPU_MASK;
              end
              hwlab_isa_pkg::FIELD_KIND_ACCUMULATOR: begin
                slot_bad[i] = value != 64'd0 && (value < 64'd10 || value > 64'd40);
                slot_why[4*i +: 4] = hwlab_isa_pkg::REJECT_ACCUMULATOR_RANGE;
              end
              hwlab_isa_pkg::FIELD_KIND_UNSIGNED_INT, hwlab_isa_pkg::FIELD_KIND_OFFSET,
              hwlab_isa_pkg::FIELD_KIND_ENUMERATION: begin
                slot_bad[i] = value < lo || value > hi;
                slot_why[4*i +: 4] = hwlab_isa_pkg::REJECT_FIELD_RANGE;
              end
              default: ;  // gpu, target: every value is valid
            endcase
          end
        end
      end
    end
  end

  // The lowest reserved bit set, and the first field that fails its check.
  logic [DBITS-1:0] stray;
  logic [8:0]       stray_bit;
  logic             any_bad;
  logic [3:0]       bad_field, bad_why;
  assign stray = in_desc & ~used;
  always_comb begin
    stray_bit = 9'd0;
    for (int k = DBITS - 1; k >= 0; k--)
      if (stray[k]) stray_bit = 9'(k);
    any_bad = |slot_bad;
    bad_field = 4'd0;
    bad_why = 4'd0;
    for (int k = SLOTS - 1; k >= 0; k--)
      if (slot_bad[k]) begin
        bad_field = 4'(k);
        bad_why = slot_why[4*k +: 4];
      end
  end

  // The rows' own rules (isa/insns/*.cpp, Semantics::check), on named fields of the package.
  logic [1:0] cast_stype, cast_dtype, enc_stype, dec_dtype, wcast_stype;
  logic [2:0] ldtrans_esize, signal_low, wait_low;
  logic       cross_bad;
  assign cast_stype    = in_desc[hwlab_isa_pkg::CAST_STYPE_LSB +: hwlab_isa_pkg::CAST_STYPE_WIDTH];
  assign cast_dtype    = in_desc[hwlab_isa_pkg::CAST_DTYPE_LSB +: hwlab_isa_pkg::CAST_DTYPE_WIDTH];
  assign enc_stype     = in_desc[hwlab_isa_pkg::LOGFMT_ENC_STYPE_LSB +: hwlab_isa_pkg::LOGFMT_ENC_STYPE_WIDTH];
  assign dec_dtype     = in_desc[hwlab_isa_pkg::LOGFMT_DEC_DTYPE_LSB +: hwlab_isa_pkg::LOGFMT_DEC_DTYPE_WIDTH];
  assign wcast_stype   = in_desc[hwlab_isa_pkg::WCAST_STYPE_LSB +: hwlab_isa_pkg::WCAST_STYPE_WIDTH];
  assign ldtrans_esize = in_desc[hwlab_isa_pkg::LDTRANS_ESIZE_LSB +: hwlab_isa_pkg::LDTRANS_ESIZE_WIDTH];
  // The counters' byte offsets (a global address's offset is its low bits), 8-byte aligned.
  assign signal_low    = in_desc[hwlab_isa_pkg::SIGNAL_COUNTER_LSB + hwlab_isa_pkg::ADDR_OFFSET_LSB +: 3];
  assign wait_low      = in_desc[hwlab_isa_pkg::WAIT_COUNTER_LSB +: 3];

  function automatic logic is_fp8(input logic [1:0] dtype);
    is_fp8 = dtype == hwlab_isa_pkg::DTYPE_E4M3S || dtype == hwlab_isa_pkg::DTYPE_E4M3U;
  endfunction

  always_comb begin
    case (opcode)
      // stype == dtype: nothing to convert; FP8 to FP8 goes through fp32.
      hwlab_isa_pkg::OP_CAST:       cross_bad = cast_stype == cast_dtype || (is_fp8(cast_stype) && is_fp8(cast_dtype));
      hwlab_isa_pkg::OP_LDTRANS:    cross_bad = ldtrans_esize == 3'd3;  // esize in {1, 2, 4} ([1, 4] is the range)
      hwlab_isa_pkg::OP_LOGFMT_ENC: cross_bad = is_fp8(enc_stype);      // stype fp32 or bf16
      hwlab_isa_pkg::OP_LOGFMT_DEC: cross_bad = is_fp8(dec_dtype);      // dtype fp32 or bf16
      hwlab_isa_pkg::OP_WCAST:      cross_bad = is_fp8(wcast_stype);    // stype fp32 or bf16
      hwlab_isa_pkg::OP_SIGNAL:     cross_bad = signal_low != 3'd0;     // counter 8-byte aligned
      hwlab_isa_pkg::OP_WAIT:       cross_bad = wait_low != 3'd0;       // counter 8-byte aligned
      default:                      cross_bad = 1'b0;
    endcase
  end

  // The checks in isa::decode's order.
  logic [3:0] reason, field_index;
  logic [8:0] bit_index;
  always_comb begin
    reason = hwlab_isa_pkg::REJECT_NONE;
    field_index = 4'd0;
    bit_index = 9'd0;
    if (!known) begin
      reason = hwlab_isa_pkg::REJECT_UNKNOWN_OPCODE;
    end else if (version != 4'(hwlab_isa_pkg::FORMAT_VERSION)) begin
      reason = hwlab_isa_pkg::REJECT_FORMAT_VERSION;
    end else if (|stray) begin
      reason = hwlab_isa_pkg::REJECT_RESERVED_BIT;
      bit_index = stray_bit;
    end else if (any_bad) begin
      reason = bad_why;
      field_index = bad_field;
    end else if (cross_bad) begin
      reason = hwlab_isa_pkg::REJECT_CROSS_FIELD;
    end
  end

  // Output register.
  logic out_valid_q;
  assign out_valid = out_valid_q;
  assign in_ready = !out_valid_q || out_ready;
  always_ff @(posedge clk) begin
    if (!rst_n) out_valid_q <= 1'b0;
    else if (in_ready) out_valid_q <= in_valid;
  end
  always_ff @(posedge clk) begin
    if (in_ready && in_valid) begin
      out_opcode      <= opcode;
      out_malformed   <= reason != hwlab_isa_pkg::REJECT_NONE;
      out_reason      <= reason;
      out_field       <= field_index;
      out_bit         <= bit_index;
      out_field_count <= field_count;
      out_fields      <= fields;
    end
  end
endmodule
