"""How long making one filled form takes: fill the khai-sinh tờ khai (the longest form) from a
complete set of answers and render both the PDF and the DOCX, as the bot does when a case is
filed. The summary step renders only the PDF, so that time is printed too.

    .venv/bin/python -m bench.forms [--rounds 20]

Budget: under 300 ms for one form (PDF and DOCX) on the project's 2-core machine. The first
round, which reads the font files, is reported apart.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

from bot.forms.docx import render_docx
from bot.forms.pdf import render_pdf
from dialogs.catalog import load_catalog
from dialogs.formfill import fill

BUDGET_MS = 300.0
ANSWERS = {
    "full_name": "Nguyễn Thị Huyền Trang", "cccd": "001196012345", "phone": "0912345678",
    "address": "Xóm Đồng Sổ, xã Tây Đằng, thành phố Hà Nội", "relationship": "me",
    "child_full_name": "Trần Ngọc Ánh Dương", "child_birth_date": "2026-04-21", "child_sex": "nu",
    "child_ethnicity": "Kinh", "child_nationality": "Việt Nam",
    "child_birth_place": "Bệnh viện đa khoa Ba Vì, xã Tây Đằng, thành phố Hà Nội",
    "child_home_town": "xã Cổ Đô, thành phố Hà Nội", "mother_full_name": "Nguyễn Thị Huyền Trang",
    "mother_birth_year": "1996", "mother_ethnicity": "Kinh", "mother_nationality": "Việt Nam",
    "mother_residence": "Xóm Đồng Sổ, xã Tây Đằng, thành phố Hà Nội", "father_full_name": "Trần Quốc Việt",
    "father_birth_year": "1993", "father_ethnicity": "Kinh", "father_nationality": "Việt Nam",
    "father_residence": "Xóm Đồng Sổ, xã Tây Đằng, thành phố Hà Nội", "copies": "2",
}


def _milliseconds(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return (time.perf_counter() - start) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    rounds = parser.parse_args().rounds
    catalog = load_catalog()
    procedure = catalog["khai-sinh"]
    form = catalog.form(procedure.form_documents[0])

    def both() -> None:
        filled = fill(form, procedure, ANSWERS, "UBND xã Tây Đằng")
        render_pdf(filled)
        render_docx(filled)

    first = _milliseconds(both)
    times = [_milliseconds(both) for _ in range(rounds)]
    pdf_only = [_milliseconds(lambda: render_pdf(fill(form, procedure, ANSWERS, "UBND xã Tây Đằng")))
                for _ in range(rounds)]
    median = statistics.median(times)
    print(f"first form (reads the fonts): {first:.0f} ms")
    print(f"one form, PDF + DOCX: median {median:.0f} ms, worst {max(times):.0f} ms over {rounds} rounds")
    print(f"summary preview, PDF only: median {statistics.median(pdf_only):.0f} ms")
    print(f"budget {BUDGET_MS:.0f} ms: {'met' if max(times) < BUDGET_MS else 'NOT met'}")


if __name__ == "__main__":
    main()
