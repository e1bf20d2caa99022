// The combine result a token must come back with, computed on the CPU from the routing and the
// expert placement alone (not from the exchange plan or anything the GPUs produced), when every
// expert output holds kernels::expert_output_value(): for each rank the token reached, in ascending
// rank order, the FP32 gate-weighted sum of that rank's expert outputs (in routing order) rounded to
// BF16, those summed in FP32 and rounded to BF16 -- the same operations in the same order as the
// kernels, so a correct exchange matches it bit for bit (the check still allows a BF16 ulp or two).
#pragma once

#include <cstdint>
#include <vector>

#include "workloads/expert_layout.h"
#include "workloads/routing.h"
#include "workloads/workload_config.h"

namespace hwlab::runtime {

uint16_t float_to_bf16_bits(float f);  // round to nearest even
float bf16_bits_to_float(uint16_t b);

// BF16 bits of the combined output of token `token` of rank `rank` (hidden values).
std::vector<uint16_t> combine_reference(const workloads::WorkloadConfig& workload, const workloads::ExpertLayout& layout,
                                        const workloads::Routing& routing_of_rank, int rank, int token);

// Elements of `got` that differ from `want` by more than 2^-6 + 2^-7 |want| (BF16 ulps, not a
// different token's values).
int64_t combine_wrong_elements(const uint16_t* got, const std::vector<uint16_t>& want);

}  // namespace hwlab::runtime
