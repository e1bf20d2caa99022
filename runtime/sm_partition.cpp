#include "runtime/sm_partition.h"

#include <fmt/format.h>

#include "kernels/cuda_check.h"

namespace hwlab::runtime {

namespace {

// Driver entry points, resolved once.
struct Driver {
  CUresult (*device_get)(CUdevice*, int) = nullptr;
  CUresult (*get_resource)(CUdevice, CUdevResource*, CUdevResourceType) = nullptr;
  CUresult (*split_by_count)(CUdevResource*, unsigned*, const CUdevResource*, CUdevResource*, unsigned, unsigned) = nullptr;
  CUresult (*generate_desc)(CUdevResourceDesc*, CUdevResource*, unsigned) = nullptr;
  CUresult (*green_create)(CUgreenCtx*, CUdevResourceDesc, CUdevice, unsigned) = nullptr;
  CUresult (*green_destroy)(CUgreenCtx) = nullptr;
  CUresult (*ctx_from_green)(CUcontext*, CUgreenCtx) = nullptr;
  CUresult (*green_stream_create)(CUstream*, CUgreenCtx, unsigned, int) = nullptr;
  CUresult (*push)(CUcontext) = nullptr;
  CUresult (*pop)(CUcontext*) = nullptr;
  bool ok = false;
};

std::string g_missing;  // the first entry point the driver did not give

// Asked for at the ABI of the toolkit we compile with (cuGreenCtxStreamCreate exists from 12.5 on).
template <class F>
bool entry(const char* name, F& out) {
  void* fn = nullptr;
  cudaDriverEntryPointQueryResult status{};
  if (cudaGetDriverEntryPointByVersion(name, &fn, CUDART_VERSION, cudaEnableDefault, &status) != cudaSuccess ||
      status != cudaDriverEntryPointSuccess || !fn) {
    if (g_missing.empty()) g_missing = std::string(name) + " (query status " + std::to_string(static_cast<int>(status)) + ")";
    return false;
  }
  out = reinterpret_cast<F>(fn);
  return true;
}

const Driver& driver() {
  static const Driver d = [] {
    Driver x;
    x.ok = entry("cuDeviceGet", x.device_get) && entry("cuDeviceGetDevResource", x.get_resource) &&
           entry("cuDevSmResourceSplitByCount", x.split_by_count) &&
           entry("cuDevResourceGenerateDesc", x.generate_desc) && entry("cuGreenCtxCreate", x.green_create) &&
           entry("cuGreenCtxDestroy", x.green_destroy) && entry("cuCtxFromGreenCtx", x.ctx_from_green) &&
           entry("cuGreenCtxStreamCreate", x.green_stream_create) && entry("cuCtxPushCurrent", x.push) &&
           entry("cuCtxPopCurrent", x.pop);
    return x;
  }();
  return d;
}

}  // namespace

Lane::Use::Use(const Lane& lane) {
  if (!lane.ctx) return;
  if (driver().push(lane.ctx) != CUDA_SUCCESS) throw kernels::CudaError("cuCtxPushCurrent failed");
  pushed_ = true;
}

Lane::Use::~Use() {
  if (!pushed_) return;
  CUcontext popped = nullptr;
  driver().pop(&popped);
}

cudaEvent_t Lane::make_event(bool timing) const {
  Use use(*this);
  cudaEvent_t e = nullptr;
  HWLAB_CUDA_CHECK(cudaEventCreateWithFlags(&e, timing ? cudaEventDefault : cudaEventDisableTiming));
  return e;
}

Lane primary_lane(int sms) {
  Lane l;
  HWLAB_CUDA_CHECK(cudaStreamCreateWithFlags(&l.stream, cudaStreamNonBlocking));
  l.sms = sms;
  return l;
}

std::unique_ptr<SmPartition> SmPartition::create(int device, int comm_sms, std::string* why) {
  const Driver& d = driver();
  if (!d.ok) {
    *why = "the driver did not give the green-context entry point " + g_missing;
    return nullptr;
  }
  CUdevice dev = 0;
  CUdevResource all{};
  if (d.device_get(&dev, device) != CUDA_SUCCESS || d.get_resource(dev, &all, CU_DEV_RESOURCE_TYPE_SM) != CUDA_SUCCESS) {
    *why = "cuDeviceGetDevResource failed";
    return nullptr;
  }
  const int total = static_cast<int>(all.sm.smCount);
  const int granularity = static_cast<int>(all.sm.minSmPartitionSize) > 0 ? static_cast<int>(all.sm.minSmPartitionSize) : 8;
  const int align = static_cast<int>(all.sm.smCoscheduledAlignment) > 0 ? static_cast<int>(all.sm.smCoscheduledAlignment) : granularity;
  int want = (total - comm_sms) / align * align;
  if (want < granularity || total - want < 1) {
    *why = fmt::format("cannot leave {} of {} SMs to communication with {}-SM partitions", comm_sms, total, align);
    return nullptr;
  }
  CUdevResource gemm_part{}, rest{};
  unsigned groups = 1;
  if (d.split_by_count(&gemm_part, &groups, &all, &rest, 0, static_cast<unsigned>(want)) != CUDA_SUCCESS || groups != 1) {
    *why = fmt::format("cuDevSmResourceSplitByCount refused {} SMs", want);
    return nullptr;
  }
  std::unique_ptr<SmPartition> p(new SmPartition());
  p->granularity = align;
  CUdevResourceDesc gemm_desc = nullptr, comm_desc = nullptr;
  if (d.generate_desc(&gemm_desc, &gemm_part, 1) != CUDA_SUCCESS || d.generate_desc(&comm_desc, &rest, 1) != CUDA_SUCCESS ||
      d.green_create(&p->gemm_green_, gemm_desc, dev, CU_GREEN_CTX_DEFAULT_STREAM) != CUDA_SUCCESS ||
      d.green_create(&p->comm_green_, comm_desc, dev, CU_GREEN_CTX_DEFAULT_STREAM) != CUDA_SUCCESS ||
      d.ctx_from_green(&p->gemm.ctx, p->gemm_green_) != CUDA_SUCCESS ||
      d.ctx_from_green(&p->comm.ctx, p->comm_green_) != CUDA_SUCCESS) {
    *why = "creating the green contexts failed";
    return nullptr;
  }
  CUstream s = nullptr;
  if (d.green_stream_create(&s, p->gemm_green_, CU_STREAM_NON_BLOCKING, 0) != CUDA_SUCCESS) {
    *why = "cuGreenCtxStreamCreate failed";
    return nullptr;
  }
  p->gemm.stream = s;
  if (d.green_stream_create(&s, p->comm_green_, CU_STREAM_NON_BLOCKING, 0) != CUDA_SUCCESS) {
    *why = "cuGreenCtxStreamCreate failed";
    return nullptr;
  }
  p->comm.stream = s;
  p->gemm.sms = static_cast<int>(gemm_part.sm.smCount);
  p->comm.sms = static_cast<int>(rest.sm.smCount);
  return p;
}

SmPartition::~SmPartition() {
  if (gemm.stream) cudaStreamDestroy(gemm.stream);
  if (comm.stream) cudaStreamDestroy(comm.stream);
  if (gemm_green_) driver().green_destroy(gemm_green_);
  if (comm_green_) driver().green_destroy(comm_green_);
}

}  // namespace hwlab::runtime
