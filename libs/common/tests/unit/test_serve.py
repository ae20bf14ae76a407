"""`xietong serve`: the reference-data volume is seeded once from the image's copy, never
overwriting an operator's files; uvicorn logs JSON."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from xietong_common.cli.main import build_parser
from xietong_common.cli.serve import SEED_MARKER, _app_path, _service_name, seed_data_dir


@pytest.fixture
def image_data(tmp_path: Path) -> Path:
    source = tmp_path / "image-data"
    (source / "calendar").mkdir(parents=True)
    (source / "organisations.yaml").write_text("image organisations")
    (source / "matters.yaml").write_text("image matters")
    (source / "calendar" / "README.md").write_text("schedules go here")
    return source


def test_first_start_copies_everything(image_data: Path, tmp_path: Path) -> None:
    volume = tmp_path / "volume"
    copied = seed_data_dir(image_data, volume)
    assert sorted(map(str, copied)) == ["calendar/README.md", "matters.yaml", "organisations.yaml"]
    assert (volume / "matters.yaml").read_text() == "image matters"
    assert (volume / SEED_MARKER).exists()


def test_an_operators_files_are_never_overwritten(image_data: Path, tmp_path: Path) -> None:
    volume = tmp_path / "volume"
    (volume / "calendar").mkdir(parents=True)
    (volume / "matters.yaml").write_text("the district's catalogue")
    (volume / "calendar" / "2027.yaml").write_text("loaded with xietong calendar load")
    copied = seed_data_dir(image_data, volume)
    assert "matters.yaml" not in map(str, copied)
    assert (volume / "matters.yaml").read_text() == "the district's catalogue"
    assert (volume / "calendar" / "2027.yaml").read_text() == "loaded with xietong calendar load"
    assert (volume / "organisations.yaml").read_text() == "image organisations"


def test_later_starts_copy_nothing(image_data: Path, tmp_path: Path) -> None:
    volume = tmp_path / "volume"
    seed_data_dir(image_data, volume)
    (volume / "organisations.yaml").unlink()  # the operator removed it on purpose
    (image_data / "new.yaml").write_text("new in a later image")
    assert seed_data_dir(image_data, volume) == []
    assert not (volume / "organisations.yaml").exists()


def test_six_services_seeding_at_once_copy_each_file_once(image_data: Path, tmp_path: Path) -> None:
    for i in range(50):
        (image_data / f"extra-{i}.yaml").write_text(str(i))
    volume = tmp_path / "volume"
    results: list[list[Path]] = []
    threads = [
        threading.Thread(target=lambda: results.append(seed_data_dir(image_data, volume)))
        for _ in range(6)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    copied = [p for r in results for p in r]
    assert len(copied) == len(set(copied)) == 53
    assert not [p for p in volume.rglob("*") if p.name.endswith(".seed")]  # no leftovers


def test_serve_arguments() -> None:
    args = build_parser().parse_args(
        ["serve", "referral.main:app", "--host", "0.0.0.0", "--port", "8003"]
    )
    assert (args.app, args.host, args.port) == ("referral.main:app", "0.0.0.0", 8003)
    assert _app_path("legal-review") == "legal_review.main:app"
    assert _app_path("referral.main:app") == "referral.main:app"
    with pytest.raises(SystemExit):
        _app_path("nonsense")


def test_the_service_name_in_the_logs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("XIETONG_SERVICE_NAME", raising=False)
    assert _service_name("legal_review.main:app", None) == "legal-review"
    assert _service_name("legal_review.main:app", "custom") == "custom"
    monkeypatch.setenv("XIETONG_SERVICE_NAME", "from-env")
    assert _service_name("legal_review.main:app", None) == "from-env"
