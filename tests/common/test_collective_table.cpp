#include <catch2/catch.hpp>

#include <stdexcept>

#include "common/collective_table.h"
#include "common/error.h"

using hwlab::bus_bandwidth_factor;
using hwlab::make_collective_row;

TEST_CASE("collective busbw factors follow nccl-tests", "[collective]") {
  CHECK(bus_bandwidth_factor("alltoall", 8) == Approx(0.875));
  CHECK(bus_bandwidth_factor("alltoallv", 8) == Approx(0.875));
  CHECK(bus_bandwidth_factor("allreduce", 8) == Approx(1.75));
  CHECK(bus_bandwidth_factor("allgather", 8) == Approx(0.875));
  CHECK(bus_bandwidth_factor("reducescatter", 8) == Approx(0.875));
  CHECK(bus_bandwidth_factor("dispatch", 8) == Approx(0.875));
  CHECK(bus_bandwidth_factor("combine", 8) == Approx(0.875));
  CHECK(bus_bandwidth_factor("broadcast", 8) == 1.0);
  CHECK(bus_bandwidth_factor("reduce", 8) == 1.0);
  CHECK(bus_bandwidth_factor("sendrecv", 8) == 1.0);
  CHECK(bus_bandwidth_factor("allreduce", 2) == Approx(1.0));
  CHECK(bus_bandwidth_factor("alltoall", 1) == 0.0);

  CHECK_THROWS_AS(bus_bandwidth_factor("all2all", 8), hwlab::UserError);
  CHECK_THROWS_WITH(bus_bandwidth_factor("all2all", 8),
                    "unknown collective op 'all2all'; expected one of alltoall, alltoallv, allreduce, "
                    "allgather, reducescatter, broadcast, reduce, sendrecv, dispatch, combine");
  CHECK_THROWS_AS(bus_bandwidth_factor("alltoall", 0), hwlab::UserError);
}

TEST_CASE("collective rows get nccl-tests bandwidths", "[collective]") {
  hwlab::CollectiveRow a2a = make_collective_row("alltoall", 1 << 20, 1 << 18, "float", 52.0, 8);
  CHECK(a2a.algbw_GBps == Approx(1048576.0 / 52.0e-6 / 1e9));
  CHECK(a2a.busbw_GBps == Approx(1048576.0 / 52.0e-6 / 1e9 * 0.875));
  CHECK(a2a.redop == "none");
  CHECK(a2a.root == -1);
  CHECK(a2a.wrong == 0);

  hwlab::CollectiveRow ar = make_collective_row("allreduce", 1000000, 500000, "bfloat16", 20.0, 8, 4);
  CHECK(ar.algbw_GBps == Approx(50.0));
  CHECK(ar.busbw_GBps == Approx(87.5));
  CHECK(ar.redop == "sum");
  CHECK(ar.wrong == 4);

  CHECK(make_collective_row("broadcast", 64, 64, "int8", 3.0, 8).root == 0);
  CHECK(make_collective_row("combine", 64, 32, "bfloat16", 3.0, 8).redop == "sum");

  hwlab::CollectiveRow empty = make_collective_row("alltoall", 0, 0, "float", 0.0, 8);
  CHECK(empty.algbw_GBps == 0.0);
  CHECK(empty.busbw_GBps == 0.0);
  CHECK_THROWS_AS(make_collective_row("alltoall", 64, 16, "float", 0.0, 8), std::logic_error);
  CHECK_THROWS_AS(make_collective_row("alltoall", 64, 16, "float", -1.0, 8), std::logic_error);
}

TEST_CASE("collective table prints the nccl-tests layout", "[collective]") {
  std::vector<hwlab::CollectiveRow> rows = {
      make_collective_row("alltoall", 1000000, 250000, "float", 10.0, 8),
      // Columns too narrow for two decimals: fewer digits, then scientific notation.
      make_collective_row("alltoall", 8000000000, 2000000000, "float", 12345678.9, 8),
      make_collective_row("allreduce", 1073741824, 536870912, "bfloat16", 12345.678, 8),
      make_collective_row("dispatch", 7340032000, 7340032000, "fp8_e4m3", 1.0, 8, 3),
      make_collective_row("broadcast", 0, 0, "int8", 0.0, 8),
  };
  CHECK(hwlab::format_collective_table(rows, "MoE layer collectives, 8 ranks") ==
        "# MoE layer collectives, 8 ranks\n"
        "#\n"
        "#       size         count      type   redop    root     time   algbw   busbw  #wrong\n"
        "#        (B)    (elements)                               (us)  (GB/s)  (GB/s)\n"
        "# op: alltoall\n"
        "     1000000        250000     float    none      -1    10.00  100.00   87.50       0\n"
        "  8000000000    2000000000     float    none      -1  1.2e+07    0.65    0.57       0\n"
        "# op: allreduce\n"
        "  1073741824     536870912  bfloat16     sum      -1  12345.7   86.97  152.20       0\n"
        "# op: dispatch\n"
        "  7340032000    7340032000  fp8_e4m3    none      -1     1.00   7e+06   6e+06       3\n"
        "# op: broadcast\n"
        "           0             0      int8    none       0     0.00    0.00    0.00       0\n"
        "# Out of bounds values : 1 FAILED\n"
        "# Avg bus bandwidth    : 1.28455e+06\n"
        "#\n");
}

TEST_CASE("collective table without rows or title", "[collective]") {
  CHECK(hwlab::format_collective_table({}) ==
        "#\n"
        "#       size         count      type   redop    root     time   algbw   busbw  #wrong\n"
        "#        (B)    (elements)                               (us)  (GB/s)  (GB/s)\n"
        "# Out of bounds values : 0 OK\n"
        "# Avg bus bandwidth    : 0\n"
        "#\n");
}
