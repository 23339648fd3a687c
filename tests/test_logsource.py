"""Where logs come from: files, .gz, run-logs .zip archives (both layouts), stdin; and what is refused."""

from __future__ import annotations

import gzip
import io
import itertools
import os
import random
import sys
import zipfile
from pathlib import Path

import pytest

from healing_guard import analyze_path, logsource
from healing_guard.classify import Classifier
from healing_guard.errors import LogInputError
from healing_guard.logsource import expand, from_bytes, iter_blocks

INPUTS = Path(__file__).parent / "fixtures" / "inputs"
TS = "2024-05-14T09:12:33.1234567Z "
JOB_LOG = (INPUTS / "windows-job.log").read_bytes()


def failing_log(module: str, step: str = "Run pytest", code: int = 2) -> bytes:
    return (
        f"\ufeff{TS}Current runner version: '2.316.1'\n"
        f"{TS}##[group]Run {step.removeprefix('Run ')}\n{TS}##[endgroup]\n"
        f"{TS}E   ModuleNotFoundError: No module named '{module}'\n"
        f"{TS}##[error]Process completed with exit code {code}.\n"
    ).encode()


CLASSIFIER = Classifier()


def diagnose_all(path: Path | str) -> list[tuple[str, str | None, str, object]]:
    """(name, job, strategy, module) for every log a path stands for."""
    out = []
    for source in expand(str(path)):
        d = CLASSIFIER.diagnose(source)
        out.append((source.name, source.job, d.strategy, d.params.get("module")))
    return out


# --- plain files and .gz ----------------------------------------------------------------------------


def test_plain_file_is_read_as_one_log(tmp_path: Path) -> None:
    path = tmp_path / "job.log"
    path.write_bytes(failing_log("requests"))
    (source,) = expand(str(path))
    assert source.name == str(path)
    assert source.job is None and source.step is None
    assert diagnose_all(path) == [(str(path), None, "python-module-not-found", "requests")]


def test_gz_gives_the_same_diagnosis_and_line_numbers_as_the_plain_file(tmp_path: Path) -> None:
    plain = tmp_path / "job.log"
    plain.write_bytes(JOB_LOG)
    packed = tmp_path / "job.log.gz"
    packed.write_bytes(gzip.compress(JOB_LOG))
    a = CLASSIFIER.diagnose(expand(str(plain))[0])
    b = CLASSIFIER.diagnose(expand(str(packed))[0])
    assert a.to_dict() == b.to_dict()
    assert b.params["module"] == "yaml"


def test_gz_is_recognised_by_its_content_not_its_name(tmp_path: Path) -> None:
    path = tmp_path / "download"  # GitHub's job-log download has no extension
    path.write_bytes(gzip.compress(failing_log("numpy")))
    assert diagnose_all(path)[0][2:] == ("python-module-not-found", "numpy")


def test_truncated_gz_is_a_log_input_error(tmp_path: Path) -> None:
    path = tmp_path / "cut.gz"
    path.write_bytes(gzip.compress(failing_log("x") * 50)[:-30])
    with pytest.raises(LogInputError, match="reading the log failed"):
        diagnose_all(path)


def test_gz_with_corrupt_data_is_a_log_input_error(tmp_path: Path) -> None:
    # A damaged deflate stream raises zlib.error, which is not an OSError.
    data = bytearray(gzip.compress(failing_log("x") * 200))
    for i in range(20, 60):
        data[i] ^= 0x5A
    path = tmp_path / "bad.gz"
    path.write_bytes(bytes(data))
    with pytest.raises(LogInputError):
        diagnose_all(path)


# --- run-logs .zip -------------------------------------------------------------------------------------


def make_zip(path: Path, members: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def test_run_logs_zip_gives_one_log_per_job_in_job_number_order(tmp_path: Path) -> None:
    # The layout of GitHub's "Download log archive": a file per job and a folder of step files per job.
    path = make_zip(
        tmp_path / "logs_123.zip",
        {
            "10_lint.txt": failing_log("flake8_plugin"),
            "2_test (3.12).txt": failing_log("yaml"),
            "1_Build source distribution (1).txt": failing_log("build"),
            "test (3.12)/1_Set up job.txt": b"\xef\xbb\xbf" + f"{TS}Current runner version: '2.316.1'\n".encode(),
            "test (3.12)/4_Run pytest.txt": failing_log("yaml"),
            "lint/3_Run flake8.txt": failing_log("flake8_plugin"),
        },
    )
    got = diagnose_all(path)
    assert [(job, module) for _, job, _, module in got] == [
        ("Build source distribution (1)", "build"),
        ("test (3.12)", "yaml"),
        ("lint", "flake8_plugin"),
    ]
    assert [name for name, *_ in got] == [
        f"{path}!1_Build source distribution (1).txt",
        f"{path}!2_test (3.12).txt",
        f"{path}!10_lint.txt",
    ]


def test_zip_job_name_is_in_the_failed_step_label(tmp_path: Path) -> None:
    path = make_zip(tmp_path / "logs.zip", {"1_build.txt": failing_log("yaml", step="Run pytest -q")})
    (d,) = analyze_path(str(path))
    assert d.failed_step == "build / Run pytest -q"


def test_zip_with_only_step_folders_knows_the_step_names(tmp_path: Path) -> None:
    path = make_zip(
        tmp_path / "logs.zip",
        {
            "build/1_Set up job.txt": f"{TS}Current runner version: '2.316.1'\n".encode(),
            "build/12_Run tests.txt": f"{TS}E   ModuleNotFoundError: No module named 'yaml'\n".encode()
            + f"{TS}##[error]Process completed with exit code 1.\n".encode(),
            "build/3_Run actionscheckout@v4.txt": f"{TS}Syncing repository: octo/widgets\n".encode(),
            "docs/1_Set up job.txt": f"{TS}Runner name: 'x'\n".encode(),
        },
    )
    sources = expand(str(path))
    assert [(s.job, s.step) for s in sources] == [
        ("build", "Set up job"),
        ("build", "Run actionscheckout@v4"),
        ("build", "Run tests"),
        ("docs", "Set up job"),
    ]
    scan = CLASSIFIER.scanner.scan(sources[2])
    assert scan.failed_step == "Run tests"
    assert scan.exit_code == 1
    d = CLASSIFIER.diagnose(sources[2])
    assert d.strategy == "python-module-not-found"
    assert d.failed_step == "build / Run tests"


def test_zip_without_job_logs_is_refused(tmp_path: Path) -> None:
    path = make_zip(tmp_path / "other.zip", {"README.md": b"hello", "src/main.py": b"print()"})
    with pytest.raises(LogInputError, match="no job logs"):
        expand(str(path))


def test_corrupt_zip_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "broken.zip"
    path.write_bytes(b"PK\x03\x04" + b"\x00garbage" * 50)
    with pytest.raises(LogInputError, match="not a readable zip"):
        expand(str(path))


def test_truncated_zip_is_refused(tmp_path: Path) -> None:
    good = make_zip(tmp_path / "good.zip", {"1_build.txt": failing_log("yaml") * 100})
    path = tmp_path / "cut.zip"
    path.write_bytes(good.read_bytes()[:200])  # the central directory is gone
    with pytest.raises(LogInputError):
        expand(str(path))


def test_zip_member_with_a_broken_header_is_a_log_input_error(tmp_path: Path) -> None:
    good = make_zip(tmp_path / "good.zip", {"1_build.txt": failing_log("a"), "2_test.txt": failing_log("b")})
    data = bytearray(good.read_bytes())
    second = data.find(b"PK\x03\x04", 4)
    data[second : second + 4] = b"XX\x03\x04"
    path = tmp_path / "bad-member.zip"
    path.write_bytes(bytes(data))
    first, broken = expand(str(path))
    assert CLASSIFIER.diagnose(first).params["module"] == "a"
    with pytest.raises(LogInputError, match=r"2_test\.txt"):
        CLASSIFIER.diagnose(broken)


def test_zip_member_with_corrupt_data_is_a_log_input_error(tmp_path: Path) -> None:
    good = make_zip(tmp_path / "good.zip", {"1_build.txt": failing_log("a") * 300})
    data = bytearray(good.read_bytes())
    for i in range(60, 100):
        data[i] ^= 0x5A
    path = tmp_path / "bad-data.zip"
    path.write_bytes(bytes(data))
    (source,) = expand(str(path))
    with pytest.raises(LogInputError):
        CLASSIFIER.diagnose(source)


def test_empty_member_is_refused_alone(tmp_path: Path) -> None:
    path = make_zip(tmp_path / "logs.zip", {"1_build.txt": b"", "2_test.txt": failing_log("yaml")})
    empty, good = expand(str(path))
    with pytest.raises(LogInputError, match="empty"):
        CLASSIFIER.diagnose(empty)
    assert CLASSIFIER.diagnose(good).params["module"] == "yaml"


# --- stdin, folders, missing files ---------------------------------------------------------------


def test_stdin(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(JOB_LOG.replace(b"\n", b"\r\n"))))
    (source,) = expand("-")
    assert source.name == "<stdin>"
    d = CLASSIFIER.diagnose(source)
    assert d.params["module"] == "yaml"
    assert d.evidence[0] == CLASSIFIER.diagnose(from_bytes(JOB_LOG, "file")).evidence[0]


def test_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(LogInputError, match="is a folder"):
        expand(str(tmp_path))


def test_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(LogInputError, match="no such file"):
        expand(str(tmp_path / "nope.log"))


def test_file_removed_after_expand_is_a_log_input_error(tmp_path: Path) -> None:
    path = tmp_path / "job.log"
    path.write_bytes(failing_log("x"))
    (source,) = expand(str(path))
    path.unlink()
    with pytest.raises(LogInputError, match="cannot be opened"):
        CLASSIFIER.diagnose(source)


# --- iter_blocks ------------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [1, 2, 3, 4, 7, 64])
def test_blocks_hold_whole_lines_and_lose_nothing(size: int) -> None:
    data = b"a\r\nbb\rccc\n\n\rdddd\r\r\ne"
    blocks = list(iter_blocks(io.BytesIO(data), size=size))
    assert b"".join(blocks) == data
    for block in blocks[:-1]:
        # every block but the last ends a line, and never between the CR and LF of a CRLF
        assert block.endswith((b"\n", b"\r"))
    for left, right in itertools.pairwise(blocks):
        assert not (left.endswith(b"\r") and right.startswith(b"\n"))


def _blocks_by_concatenation(stream: io.BytesIO, size: int) -> list[bytes]:
    """What iter_blocks did before it kept a long line's pieces apart (the reference)."""
    out: list[bytes] = []
    carry = b""
    while block := stream.read(size):
        block = carry + block
        cut = block.rfind(b"\n")
        if cut >= 0:
            carry = block[cut + 1 :]
            out.append(block[: cut + 1])
            continue
        cr = block.rfind(b"\r", 0, len(block) - 1)
        if cr >= 0:
            carry = block[cr + 1 :]
            out.append(block[: cr + 1])
        elif len(block) > logsource.MAX_LINE_BYTES:
            keep = 1 if block.endswith(b"\r") else 0
            out.append(block[: len(block) - keep])
            carry = block[len(block) - keep :]
        else:
            carry = block
    return [*out, carry] if carry else out


def test_blocks_are_cut_where_the_concatenating_reader_cut_them(monkeypatch: pytest.MonkeyPatch) -> None:
    # seeded random inputs of CRs, LFs and long lines, small reads and a small line limit
    rnd = random.Random(6)
    for _ in range(3000):
        alphabet = rnd.choice([b"ab\n\r", b"a\r", b"ab\r\r\n", b"abcdefg\n", b"abc\r\n", b"aaaaaaaaa\r"])
        data = bytes(rnd.choice(alphabet) for _ in range(rnd.randint(0, 80)))
        size, limit = rnd.randint(1, 12), rnd.randint(1, 30)
        monkeypatch.setattr(logsource, "MAX_LINE_BYTES", limit)
        blocks = list(iter_blocks(io.BytesIO(data), size=size))
        assert blocks == _blocks_by_concatenation(io.BytesIO(data), size), (data, size, limit)
        assert all(type(b) is bytes for b in blocks)


def test_blocks_of_cr_only_output_stay_small() -> None:
    # A progress bar that only ever writes \r must not be held whole until the 64 MB limit.
    data = b"".join(f"{i:>3}% [{'#' * (i // 5):<20}]\r".encode() for i in range(101))
    blocks = list(iter_blocks(io.BytesIO(data), size=64))
    assert b"".join(blocks) == data
    assert max(len(b) for b in blocks) < 64 * 2


# -- defect 15: special files and decompression bombs ---------------------------------------------------


def test_a_fifo_is_refused_before_it_is_opened(tmp_path: Path) -> None:
    path = tmp_path / "job.log"
    os.mkfifo(path)  # opening a FIFO without a writer blocks forever
    with pytest.raises(LogInputError, match="is a FIFO \\(named pipe\\), not a regular file"):
        expand(str(path))


def test_a_device_is_refused_even_through_a_link(tmp_path: Path) -> None:
    (tmp_path / "job.log").symlink_to("/dev/zero")  # never ends
    for path in ("/dev/zero", str(tmp_path / "job.log")):
        with pytest.raises(LogInputError, match="is a character device, not a regular file"):
            expand(path)


def _small_budget(monkeypatch: pytest.MonkeyPatch, size: int) -> None:
    monkeypatch.setattr(logsource, "MAX_DECOMPRESSED_BYTES", size)


def test_a_gz_bomb_stops_at_the_decompressed_cap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _small_budget(monkeypatch, 4 << 20)
    path = tmp_path / "job.log.gz"
    with gzip.open(path, "wb", compresslevel=9) as fh:
        for _ in range(16):
            fh.write(b"ok\n" * (1 << 20))  # 48 MiB of text in about 50 KiB
    assert path.stat().st_size < 200_000
    (source,) = expand(str(path))
    with pytest.raises(LogInputError, match=r"expands to more than .* GiB when decompressed.*decompression bomb"):
        CLASSIFIER.diagnose(source)


def test_a_zip_bomb_stops_at_the_cap_across_members(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _small_budget(monkeypatch, 6 << 20)
    body = b"ok\n" * (1 << 20)  # 3 MiB each: two members fit, the third crosses the archive's budget
    path = make_zip(tmp_path / "logs.zip", {f"{n}_job{n}.txt": body for n in range(1, 4)})
    first, second, third = expand(str(path))
    CLASSIFIER.diagnose(first)
    CLASSIFIER.diagnose(second)
    with pytest.raises(LogInputError, match="decompression bomb"):
        CLASSIFIER.diagnose(third)


def test_the_default_cap_leaves_room_for_real_logs() -> None:
    assert logsource.MAX_DECOMPRESSED_BYTES >= 1 << 30
