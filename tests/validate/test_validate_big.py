"""A big file streams in bounded memory and keeps exact line numbers (slow: runs in make test)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest
from validate_helpers import BASE, write_files

ROWS = 400_000  # about 25 MB: many 4 MB blocks


@pytest.mark.slow
def test_a_big_file_keeps_its_line_numbers_and_memory_bounded(tmp_path):
    header = BASE["referrals.csv"].splitlines()[0]
    body = "".join(f"E06000001,C1,R{i},2019-05-01,1A,N1,false,2019-06-01,RC1\n" for i in range(ROWS))
    # Planted near the end, after many batches: a value with a line break (line 2 + ROWS, two
    # physical lines) and then an unknown code on the next record.
    tail = 'E06000001,"C\n1",RX,2019-05-01,1A,N1,false,,\nE06000001,C1,RY,2019-05-01,99,N1,false,,\n'
    write_files(
        tmp_path / "r",
        {
            "referrals.csv": header + "\n" + body + tail,
            "returns.csv": BASE["returns.csv"],
            "children.csv": BASE["children.csv"],
        },
    )
    script = textwrap.dedent(f"""
        import json
        from earlyhelp.validate import validate_paths

        def peak_kib():
            # VmHWM belongs to this process's own address space (new at exec); ru_maxrss would
            # carry over the parent's peak when the parent (a busy test worker) was bigger.
            with open("/proc/self/status") as status:
                return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
        report = validate_paths([{str(tmp_path / "r")!r}])
        print(json.dumps({{"where": sorted((f.rule_id, f.line) for f in report.findings),
                          "rows": report.files["referrals.csv"],
                          "peak": peak_kib()}}))
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    result = json.loads(done.stdout)
    assert result["rows"] == ROWS + 2
    # Header is line 1, the generated rows are lines 2..ROWS+1; the child "C\n1" is unknown.
    assert result["where"] == [["key-foreign", ROWS + 2], ["value-code", ROWS + 4]]
    assert result["peak"] * 1024 < 1024**3, f"peak {result['peak'] / 1024:.0f} MiB"
