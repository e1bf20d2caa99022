#!/usr/bin/env bash
# `hwlab rtl area`: the Hopper-like unit is the reference (ratio 1.000), exact accumulation costs
# more than F = 13, the JSON result is an hwlab.result/1 file with one metrics object per variant,
# and bad options exit 2 with a message, leaving no output file; without Yosys on PATH, exit 2 and
# say so (only that is checked where Yosys is not installed).
set -u
hwlab=$1
OUTPUTS="out.txt out.json"
source "$(dirname "$0")/lib.sh"

expect_error "unknown variant" "unknown variant 'acc-99'; valid: h100-fp8, ada-fp8" -- "$hwlab" rtl area --variants acc-99
expect_error "bad option" "--frobnicate" -- "$hwlab" rtl area --frobnicate
expect_error "jobs 0" "--jobs" -- "$hwlab" rtl area --jobs 0
expect_error "missing yosys" "--yosys '$tmp/no-yosys': no such executable" -- "$hwlab" rtl area --yosys "$tmp/no-yosys"
expect_error "empty rtl dir" "fp8_dpa_decode.sv is missing" -- "$hwlab" rtl area --rtl-dir "$tmp" --out out.txt
rm -f out.*
PATH=/nonexistent "$hwlab" rtl area --out out.txt >stdout.txt 2>stderr.txt
rc=$?
[ $rc -eq 2 ] || fail "no yosys on PATH: exit $rc, expected 2"
grep -qF "yosys not found on PATH" stderr.txt || fail "no yosys on PATH: $(cat stderr.txt)"
[ ! -e out.txt ] || fail "no yosys on PATH: an output file was left"
if ! command -v yosys >/dev/null; then
  echo "note: no yosys on PATH; the area itself is not checked"
  exit 0
fi

# The Hopper-like unit and the exact (Kulisch) unit, two Yosys runs side by side.
"$hwlab" rtl area --variants exact --jobs 2 --json --out out.json 2>stderr.txt || fail "area --json: $(cat stderr.txt)"
python3 - out.json <<'PY' || fail "area --json: unexpected result: $(cat out.json)"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["schema"] == "hwlab.result/1", r["schema"]
m = r["metrics"]
assert list(r["proposal"]["variants"]) == ["h100-fp8", "exact"], r["proposal"]["variants"]
assert m["h100-fp8"]["ratio_to_reference"] == 1.0, m["h100-fp8"]
# one top module, the variant table's parameters
p = r["proposal"]
assert p["top"] == "fp8_dpa_unit", p["top"]
assert p["parameters"]["h100-fp8"] == {"ARCH": 0, "N": 32, "F": 13, "ALIGN_MODE": 0, "RESULT_BITS": 13,
                                       "RESULT_RNE": 0, "SCALED": 0}, p["parameters"]
assert p["parameters"]["exact"]["ARCH"] == 2, p["parameters"]
h, e = m["h100-fp8"], m["exact"]
assert e["cells"] > h["cells"] and e["area_nand2"] > h["area_nand2"], (h, e)
assert 1.0 < e["ratio_to_reference"] < 10.0, e
# the area is the weighted sum of the cell counts, and the cell counts add up
w = r["proposal"]["cell_weights"]
for v in (h, e):
    assert sum(v["cell_counts"].values()) == v["cells"], v
    assert abs(sum(n * w["$_" + c + "_"] for c, n in v["cell_counts"].items()) - v["area_nand2"]) < 1e-6 * v["area_nand2"]
    assert v["flops"] == v["cell_counts"]["DFF_P"] > 500, v
PY

# The table: the reference row reads 1.000, and the figures are the JSON's.
"$hwlab" rtl area --variants h100-fp8 --out out.txt 2>/dev/null || fail "area table"
row=$(grep '^h100-fp8 ' out.txt) || fail "no h100-fp8 row: $(cat out.txt)"
[ "$(awk '{print $5}' <<<"$row")" = "1.000" ] || fail "h100-fp8 ratio is not 1.000: $row"
grep -q '^h100-fp8 .*block N=32 F=13 trunc, 13 bits RZ$' out.txt || fail "h100-fp8 datapath: $row"
cells=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["metrics"]["h100-fp8"]["cells"])' out.json)
[ "$(awk '{print $2}' <<<"$row")" = "$cells" ] || fail "table and JSON disagree on h100-fp8 cells: $row vs $cells"
exit 0
