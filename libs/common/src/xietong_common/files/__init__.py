"""What a file really is: every upload and every import goes through here.

- `types`: the kind of a file told from its bytes (puremagic, and the containers opened),
  checked against what the upload declares and what the route accepts, and for being whole;
- `text`: the encoding of a text (UTF-8, GB18030/GBK, UTF-16 — charset-normalizer);
- `xml`, `archive`: XML read as a stream with no DTD, ZIP containers read within limits;
- `tables`: the rows of an .xlsx sheet (streamed) or a CSV;
- `extract`: the text of a PDF, .docx, .xlsx or .ofd (to screen it, INFO-02);
- `inspection`: one upload inspected (`inspect_file`);
- `limits`: what is read and what a worker may spend; `worker`: the worker processes that
  do all of this off the event loop (`FileWorkers`);
- `errors`: the refusals (`file-unreadable`, `file-over-limits`, `file-type-mismatch`).

It stands on `errors` and `settings` alone (the bottom layer): the store that keeps files
(`blobs`, `materials`), the table imports (`spreadsheets`) and the import jobs
(`import_jobs`, which need the database) stand on it.
"""

from xietong_common.files.errors import FileOverLimits as FileOverLimits
from xietong_common.files.errors import FileTypeMismatch as FileTypeMismatch
from xietong_common.files.errors import FileUnreadable as FileUnreadable
from xietong_common.files.inspection import Inspection as Inspection
from xietong_common.files.inspection import UploadCheck as UploadCheck
from xietong_common.files.limits import ReadLimits as ReadLimits
from xietong_common.files.limits import WorkerBudget as WorkerBudget
from xietong_common.files.worker import FileWorkers as FileWorkers
