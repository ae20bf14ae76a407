"""A ZIP container (.xlsx, .docx, .ofd) read within limits: how many entries, how much they
expand (declared and as actually read), how much one entry expands for its size (a zip
bomb); a damaged entry (a flipped byte, a bad CRC, a cut file) is a refusal, not a crash."""

from __future__ import annotations

import io
import posixpath
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path

from xietong_common.files.errors import FileOverLimits, FileUnreadable
from xietong_common.files.limits import MiB, ReadLimits

CHUNK = 1 << 16


def _unreadable(detail: str, zh: str, reason: str, **extensions: object) -> FileUnreadable:
    return FileUnreadable(detail, zh=zh, reason=reason, **extensions)


class Archive:
    """The entries of a ZIP container, each read as a stream of chunks."""

    def __init__(self, source: Path | bytes, limits: ReadLimits, *, what: str = "the file") -> None:
        self.limits = limits
        self.expanded = 0
        try:
            self.zip = zipfile.ZipFile(io.BytesIO(source) if isinstance(source, bytes) else source)
            infos = self.zip.infolist()
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
            raise _unreadable(
                f"{what} is not a readable ZIP container (.xlsx, .docx and .ofd are): it is "
                f"damaged or cut short ({type(exc).__name__})",
                "文件不是可读取的 ZIP 压缩包（.xlsx、.docx、.ofd 均是）：已损坏或不完整",
                "not-a-zip",
            ) from None
        if len(infos) > limits.max_entries:
            raise FileOverLimits(
                f"the container holds {len(infos)} entries, more than {limits.max_entries}",
                zh=f"压缩包含 {len(infos)} 个条目，超过 {limits.max_entries} 个的上限",
                limit="entries",
                max_entries=limits.max_entries,
            )
        declared = sum(i.file_size for i in infos)
        if declared > limits.max_expanded_bytes:
            raise FileOverLimits(
                f"the container expands to {declared} bytes, more than "
                f"{limits.max_expanded_bytes} (a zip bomb)",
                zh=f"压缩包解压后为 {declared} 字节，超过 {limits.max_expanded_bytes} 字节的上限（压缩炸弹）",
                limit="expanded-size",
                max_bytes=limits.max_expanded_bytes,
            )
        for info in infos:
            if info.file_size > MiB and info.file_size > limits.max_ratio * max(
                info.compress_size, 1
            ):
                raise FileOverLimits(
                    f"the entry {info.filename} expands {info.file_size // max(info.compress_size, 1)}"
                    f" times its size, more than {limits.max_ratio} (a zip bomb)",
                    zh=f"条目 {info.filename} 的压缩比超过 {limits.max_ratio} 倍（压缩炸弹）",
                    limit="compression-ratio",
                    part=info.filename,
                    max_ratio=limits.max_ratio,
                )
            if info.flag_bits & 0x1:
                raise _unreadable(
                    f"the entry {info.filename} is encrypted; an encrypted file cannot be read",
                    f"条目 {info.filename} 已加密，无法读取",
                    "encrypted",
                    part=info.filename,
                )
        self.infos = {i.filename: i for i in infos}
        self._lower = {name.lower(): name for name in self.infos}

    def find(self, name: str) -> str | None:
        """The entry's name as stored (OOXML part names are case-insensitive)."""
        name = name.lstrip("/")
        return name if name in self.infos else self._lower.get(name.lower())

    def names(self) -> list[str]:
        return list(self.infos)

    def chunks(self, name: str) -> Iterator[bytes]:
        """The entry's bytes as read and expanded, counted against the limit."""
        found = self.find(name)
        if found is None:
            raise _unreadable(
                f"the part {name} is missing", f"缺少部件 {name}", "missing-part", part=name
            )
        try:
            with self.zip.open(self.infos[found]) as entry:
                while chunk := entry.read(CHUNK):
                    self.expanded += len(chunk)
                    if self.expanded > self.limits.max_expanded_bytes:
                        raise FileOverLimits(
                            f"the container expands past {self.limits.max_expanded_bytes} bytes",
                            zh=f"压缩包解压后超过 {self.limits.max_expanded_bytes} 字节的上限",
                            limit="expanded-size",
                            max_bytes=self.limits.max_expanded_bytes,
                        )
                    yield chunk
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError) as exc:
            raise _unreadable(
                f"the part {found} is damaged ({type(exc).__name__}): the file was altered or "
                "cut short",
                f"部件 {found} 已损坏：文件被改动或不完整",
                "damaged-part",
                part=found,
            ) from None

    def read(self, name: str) -> bytes:
        return b"".join(self.chunks(name))

    def check_all(self) -> None:
        """Read every entry to its end (CRC checked), so a damaged one is found now."""
        for name in self.infos:
            for _ in self.chunks(name):
                pass


def resolve(base_part: str, target: str) -> str:
    """A relationship's target, relative to the part that holds it (`xl/workbook.xml` +
    `worksheets/sheet1.xml` = `xl/worksheets/sheet1.xml`; `/xl/…` is absolute)."""
    if target.startswith("/"):
        return target.lstrip("/")
    return posixpath.normpath(posixpath.join(posixpath.dirname(base_part), target))


def rels_of(part: str) -> str:
    """`xl/workbook.xml` -> `xl/_rels/workbook.xml.rels`."""
    head, tail = posixpath.split(part)
    return posixpath.join(head, "_rels", f"{tail}.rels")
