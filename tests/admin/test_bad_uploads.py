"""Files an officer should not have sent: 50 MB, a cut xlsx, CSVs in the wrong encoding. Each
gets a clear page in the officer's language, and nothing is stored or kept."""

from __future__ import annotations

from pathlib import Path

from aiohttp import FormData

from tests.admin.conftest import Admin
from tests.admin.test_imports import SAMPLE, commune_residents, upload

HEADER = "full_name,date_of_birth,village\n"
ROW = "N\u00f4ng V\u0103n An,01/01/1970,N\u00e0 D\u0103m\n"


async def test_a_50_mb_file_a_cut_one_and_wrong_encodings_say_why_and_store_nothing(
        admin: Admin, tmp_path: Path) -> None:
    await admin.login("commune")
    before = await commune_residents(admin)
    form = FormData()
    form.add_field("_csrf", await admin.csrf())
    form.add_field("commune", str(admin.world.units["commune"].id))
    line = b"Nong Van An,01/01/1970,Na Dam\n"
    form.add_field("file", HEADER.encode() + line * (50 * 1024 * 1024 // len(line)),
                   filename="ca-tinh.csv")
    answer = await admin.client.post("/admin/import", data=form)
    assert answer.status == 413
    assert admin.runtime.text("admin-error-too-large") in await answer.text()
    assert not admin.import_dir.exists() or not any(admin.import_dir.iterdir())

    sample = SAMPLE.read_bytes()
    files = {  # name: (content, the reason the page gives)
        "cut.xlsx": (sample[: len(sample) // 2], "import-unreadable"),
        "binary.csv": (bytes(range(256)) * 8, "import-encoding"),
        "utf16-no-bom.csv": ((HEADER + ROW).encode("utf-16-le"), "import-no-header"),
    }
    for name, (content, key) in files.items():
        path = tmp_path / name
        path.write_bytes(content)
        status, page = await upload(admin, path)
        assert status == 400, name
        expected = admin.runtime.text(key, path=name)
        assert expected in page, (name, expected)
    marked = tmp_path / "utf16.csv"  # with its byte-order mark, the encoding is known
    marked.write_bytes((HEADER + ROW).encode("utf-16"))
    status, page = await upload(admin, marked)
    assert status == 200 and "N\u00f4ng V\u0103n An" in page  # a preview, nothing saved yet
    assert await commune_residents(admin) == before
