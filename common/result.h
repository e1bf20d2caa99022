// The result schema "hwlab.result/1": the one file format that both `hwlab emulate` (SystemC model)
// and `hwlab measure` (real GPUs) write, so that an emulated and a measured run of the same workload
// can be compared key by key. The layout and the comparison rule are documented in
// common/RESULT_SCHEMA.md.
//
// Writing is deterministic: the same Result always gives byte-identical text. Reading validates every
// field and reports what is wrong as "file: field 'path': expected ..., found ..." (a UserError).
// Writing a Result that the reader would reject (NaN metric, measured without device, ...) is a
// programming error and throws std::logic_error.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace hwlab {

// The value of the top-level "schema" key of every result file.
inline constexpr const char* kResultSchema = "hwlab.result/1";

// One line of an nccl-tests table (see common/collective_table.h for building and printing them).
struct CollectiveRow {
  std::string op;              // alltoall, alltoallv, allreduce, allgather, reducescatter, broadcast,
                               // reduce, sendrecv, dispatch, combine
  uint64_t bytes = 0;          // message size as nccl-tests reports it
  uint64_t count = 0;          // elements
  std::string type;            // float, bfloat16, fp8_e4m3, int8, ...
  std::string redop = "none";  // sum, none, ...
  int root = -1;               // -1 for collectives without a root
  double time_us = 0, algbw_GBps = 0, busbw_GBps = 0;
  uint64_t wrong = 0;          // wrong elements (nccl-tests #wrong); emulated rows report 0
};

// The machine a measured result was taken on.
struct DeviceInfo {
  std::string name;    // e.g. "NVIDIA H200"
  int count = 0;       // GPUs used, at least 1
  std::string driver;  // driver version
  nlohmann::json extra = nlohmann::json::object();  // NICs, NCCL version, ... (an object)
};

struct Result {
  std::string source;  // "emulated" | "measured"
  std::string tool_version, git_commit;
  nlohmann::json platform, workload, proposal;  // fully resolved configs (objects); proposal may be null
  std::optional<DeviceInfo> device;             // required when source == "measured"
  // Nested objects whose leaves are finite numbers, e.g. "layer_us": 812.5,
  // "link_util": {"nvlink": 0.7}. Keys are non-empty and contain no '.'.
  nlohmann::json metrics = nlohmann::json::object();
  std::vector<CollectiveRow> collectives;
  // Run metadata (command line, timestamps, host): NOT part of the compared content.
  nlohmann::json run = nlohmann::json::object();
};

// The canonical text: top-level keys in the documented order ("schema" first), every nested object
// with sorted keys, 2-space indent, trailing newline. Same Result -> byte-identical text.
// Throws std::logic_error when the Result is not valid (see RESULT_SCHEMA.md).
std::string to_json_text(const Result& result);

// Parses and validates a result file's text. `file_name` prefixes every error message.
// Throws UserError: "file:line:column: invalid JSON: ..." for syntax errors and
// "file: field 'metrics.layer_us': expected a finite number, found string \"abc\"" for content errors.
Result parse_result(const std::string& text, const std::string& file_name);

// read_file + parse_result.
Result read_result(const std::string& path);

// to_json_text + write_file_atomically.
void write_result(const std::string& path, const Result& result);

// {"layer_us": 812.5, "link_util": {"nvlink": 0.7}} -> {"layer_us": 812.5, "link_util.nvlink": 0.7}:
// the keys on which two results are compared. Throws std::logic_error on a leaf that is not a
// finite number (parse_result never returns such metrics).
std::map<std::string, double> flatten_metrics(const nlohmann::json& metrics);

// The canonical text without the "run" block: what determinism ("same seed, same result, byte for
// byte") is judged on.
std::string compared_content(const Result& result);

}  // namespace hwlab
