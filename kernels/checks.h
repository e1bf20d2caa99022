// Correctness on every run: fill inputs with rank- and token-encoded values (kernels/payload.h),
// verify what arrived, hash outputs for repeat-and-hash runs, and see which SMs a stream really
// uses (green-context confinement). Launch wrappers; kernels in checks.cu.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "kernels/exchange_types.h"

namespace hwlab::kernels {

// Dispatch input: row i is token (first_rank + i / tokens_per_rank, i % tokens_per_rank).
void launch_fill_payload(uint8_t* rows, int64_t num_rows, int first_rank, int tokens_per_rank, int hidden,
                         int row_bytes, cudaStream_t stream);

// Received rows against what the plan says must arrive: a row is wrong if its TokenMeta differs from
// `expected` or any payload byte differs from the encoding of the expected (source rank, token).
// Adds wrong rows to *wrong_rows and, from the RECEIVED meta, one count per carried slot to
// slot_counts[(dst_rank[r] - first_rank) * slots_per_rank + slot] (slots out of range count wrong).
void launch_verify_dispatch(const uint8_t* rows, const TokenMeta* meta, const TokenMeta* expected,
                            const int32_t* dst_rank, int64_t num_rows, int first_rank, int slots_per_rank, int hidden,
                            int row_bytes, unsigned long long* wrong_rows, unsigned long long* slot_counts,
                            cudaStream_t stream);

// Expert outputs with known values: row i gets expert_output_value(src_rank[i], token[i],
// first_rank + local_slot[i] / slots_per_rank, local_slot[i] % slots_per_rank, channel) in BF16.
void launch_fill_expert_output(uint16_t* out, int64_t num_rows, const int32_t* src_rank, const int32_t* token,
                               const int32_t* local_slot, int first_rank, int slots_per_rank, int hidden,
                               cudaStream_t stream);

// alltoall(v) check buffers: the block for destination d (at offset displ[d], count[d] elements)
// holds collective_value(rank, d, i); a received block from s must hold collective_value(s, rank, i).
// `peers` <= 64 here (the collective test ranks), arrays in device memory.
void launch_fill_collective(float* send, const uint64_t* displ, const uint64_t* count, int rank, int peers,
                            cudaStream_t stream);
void launch_check_collective(const float* recv, const uint64_t* displ, const uint64_t* count, int rank, int peers,
                             unsigned long long* wrong, cudaStream_t stream);
// Poison (NaN) so that an element nothing wrote is counted wrong.
void launch_poison(void* data, uint64_t bytes, cudaStream_t stream);

// Order-independent 64-bit hash of `bytes` bytes (a multiple of 16) added into *hash.
void launch_hash(const void* data, uint64_t bytes, unsigned long long* hash, cudaStream_t stream);

// Runs `blocks` blocks of 128 threads that each spin ~20 us and set bit %smid in sm_bitmap[0..7]
// (256 bits): the SMs a stream's work may land on.
void launch_sm_probe(int blocks, unsigned* sm_bitmap, cudaStream_t stream);

}  // namespace hwlab::kernels
