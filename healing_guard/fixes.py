"""Fix recipes: the file change a fix pull request proposes for a diagnosis.

Only changes that are small, reviewable and certain are proposed. Today that is one recipe: a
missing Python module whose distribution is added to the requirements file the repository has.

The log names the module, and log text is hostile: it never chooses what is added. A module is
added only when it maps to a well-known distribution (``IMPORT_TO_DISTRIBUTION`` and
``WELL_KNOWN``, extended by the config's ``fixes.python_distributions``), and never when it is the
repository's own package (a top-level or ``src/`` folder or module of that name, or the project's
name). Everything else is advice in the comment.
"""

from __future__ import annotations

import configparser
import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Protocol

from .models import Diagnosis

#: Import names whose distribution on PyPI has another name.
IMPORT_TO_DISTRIBUTION: dict[str, str] = {
    "yaml": "PyYAML",
    "cv2": "opencv-python",
    "sklearn": "scikit-learn",
    "PIL": "Pillow",
    "bs4": "beautifulsoup4",
    "dateutil": "python-dateutil",
    "dotenv": "python-dotenv",
    "jwt": "PyJWT",
    "Crypto": "pycryptodome",
    "OpenSSL": "pyOpenSSL",
    "google.protobuf": "protobuf",
    "attr": "attrs",
    "magic": "python-magic",
    "serial": "pyserial",
    "usb": "pyusb",
    "gi": "PyGObject",
    "docx": "python-docx",
    "pptx": "python-pptx",
    "fitz": "PyMuPDF",
    "skimage": "scikit-image",
    "MySQLdb": "mysqlclient",
    "psycopg2": "psycopg2-binary",
    "git": "GitPython",
    "github": "PyGithub",
    "jose": "python-jose",
    "multipart": "python-multipart",
    "slugify": "python-slugify",
    "zmq": "pyzmq",
    "win32api": "pywin32",
    "Levenshtein": "python-Levenshtein",
    "telegram": "python-telegram-bot",
    "socketio": "python-socketio",
    "engineio": "python-engineio",
    "ruamel": "ruamel.yaml",
    "google.cloud.storage": "google-cloud-storage",
    "googleapiclient": "google-api-python-client",
    "kafka": "kafka-python",
    "lxml": "lxml",
    "nacl": "PyNaCl",
    "markdown": "Markdown",
    "jinja2": "Jinja2",
    "markupsafe": "MarkupSafe",
    "pymysql": "PyMySQL",
    "flask_sqlalchemy": "Flask-SQLAlchemy",
    "flask_cors": "Flask-Cors",
    "flask_login": "Flask-Login",
    "flask_wtf": "Flask-WTF",
    "rest_framework": "djangorestframework",
    "corsheaders": "django-cors-headers",
    "pytest_asyncio": "pytest-asyncio",
    "pytest_mock": "pytest-mock",
    "pytest_cov": "pytest-cov",
    "typing_extensions": "typing-extensions",
    "importlib_metadata": "importlib-metadata",
    "email_validator": "email-validator",
    "websocket": "websocket-client",
    "Bio": "biopython",
    "OpenGL": "PyOpenGL",
    "pkg_resources": "setuptools",
    "mpl_toolkits": "matplotlib",
    "grpc": "grpcio",
    "argon2": "argon2-cffi",
    "opensearchpy": "opensearch-py",
    "factory": "factory-boy",
}

#: Widely used distributions imported under their own name.
WELL_KNOWN: frozenset[str] = frozenset(
    """
    aiohttp alembic anyio arrow asyncpg attrs boto3 botocore bleach cachetools celery certifi cffi
    chardet charset_normalizer click colorama coverage cryptography cython dask django docker
    docutils fastapi filelock flask gevent greenlet gunicorn h5py httpx httpcore hypothesis
    idna iniconfig isort itsdangerous jmespath joblib jsonschema keras kombu matplotlib mock
    more_itertools msgpack mypy nltk networkx numba numpy oauthlib openai openpyxl orjson packaging
    pandas paramiko pexpect platformdirs pluggy polars psutil pyarrow pydantic pygments
    pymongo pyparsing pytest pytz redis regex requests rich rsa s3transfer scipy scrapy seaborn
    setuptools simplejson six sqlalchemy starlette statsmodels sympy tabulate tenacity tensorflow
    toml tomli torch torchvision tornado tqdm transformers twisted tzdata ujson urllib3 uvicorn
    virtualenv websockets werkzeug wheel wrapt xlrd xlsxwriter xmltodict yarl zipp black flake8
    pylint ruff responses freezegun faker marshmallow pendulum structlog loguru
    sentry_sdk stripe twilio tweepy sqlparse psycopg pyodbc cx_Oracle pymssql elasticsearch
    pika pyspark xgboost lightgbm catboost onnx onnxruntime jax flax optax spacy
    gensim plotly dash bokeh altair streamlit gradio selenium playwright pyppeteer
    html5lib cssselect parsel w3lib validators humanize emoji unidecode ftfy chevron mako jinja2
    passlib bcrypt itsdangerous authlib httplib2 uritemplate shapely pyproj
    fiona geopandas rasterio netCDF4 xarray zarr numexpr tables toolz cytoolz fsspec s3fs
    gcsfs adlfs tiktoken sentencepiece tokenizers datasets accelerate safetensors
    huggingface_hub einops timm lightning pytorch_lightning torchaudio torchtext invoke fabric
    nox tox pre_commit watchdog schedule apscheduler rq sh pexpect ptyprocess pyperclip
    """.split()  # noqa: SIM905 (a word list reads better as words)
)

REQUIREMENTS_FILES = ("requirements.txt", "requirements/base.txt", "requirements-dev.txt")
_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
_MODULE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*$")


@dataclass(frozen=True)
class FileChange:
    path: str
    content: str
    sha: str | None
    summary: str


@dataclass(frozen=True)
class Repository:
    """What a recipe may read of the repository, at the branch the fix would go to."""

    #: (text, blob sha) of a file, or None
    read: Callable[[str], tuple[str, str] | None]
    #: the names in a folder ("" for the top level), or None when there is no such folder
    listdir: Callable[[str], list[str] | None]


class FixRecipe(Protocol):
    """A change a fix pull request can propose."""

    @property
    def id(self) -> str: ...

    def applies(self, diagnosis: Diagnosis, extra: Mapping[str, str] | None = None) -> str | None:
        """None when the recipe can fix this diagnosis (facts only, no I/O), else why not."""
        ...

    def propose(
        self, diagnosis: Diagnosis, repo: Repository, extra: Mapping[str, str] | None = None
    ) -> FileChange | str:
        """The change, or the reason there is none (the reason becomes advice)."""
        ...


def normalise(name: str) -> str:
    """A distribution or project name as PEP 503 compares them."""
    return re.sub(r"[-_.]+", "-", name).lower()


def known_distribution(module: str, extra: Mapping[str, str] | None = None) -> str | None:
    """The well-known distribution that provides ``module``, or None when it is not known.

    ``extra`` (the config's ``fixes.python_distributions``) is looked up first; then the built-in
    map, the module first and its top-level package next; then the well-known names."""
    if not _MODULE.match(module):
        return None
    top = module.split(".")[0]
    for table in (extra or {}, IMPORT_TO_DISTRIBUTION):
        for name in (module, top):
            if name in table:
                return table[name]
    wanted = normalise(top)
    for name in WELL_KNOWN:
        if normalise(name) == wanted:
            return name
    return None


def distribution_for(module: str) -> str:
    """The distribution to name in advice: the known one, else the module's top-level name."""
    return known_distribution(module) or module.split(".")[0]


def project_names(repo: Repository, top: Collection[str] | None = None) -> set[str]:
    """The names (normalised) the repository publishes itself under: pyproject.toml's
    ``[project]`` or ``[tool.poetry]`` name, setup.cfg's ``[metadata]`` name. ``top`` (the
    top-level names, when known) spares reading files that are not there."""
    found: set[str] = set()
    pyproject = repo.read("pyproject.toml") if top is None or "pyproject.toml" in top else None
    if pyproject is not None:
        found.update(normalise(n) for n in _toml_project_names(pyproject[0]))
    setup_cfg = repo.read("setup.cfg") if top is None or "setup.cfg" in top else None
    if setup_cfg is not None:
        parser = configparser.ConfigParser(interpolation=None)
        try:
            parser.read_string(setup_cfg[0])
            name = parser.get("metadata", "name", fallback="")
        except configparser.Error:
            name = ""
        if name:
            found.add(normalise(name))
    return found


_TOML_TABLE = re.compile(r"^\s*\[\s*([A-Za-z0-9_.\-\" ]+?)\s*\]\s*(?:#.*)?$")
_TOML_NAME = re.compile(r"""^\s*name\s*=\s*(["'])([^"'\n]{1,200})\1""")


def _toml_project_names(text: str) -> list[str]:
    """``name`` of the ``[project]`` and ``[tool.poetry]`` tables (enough TOML for that; Python 3.10
    has no TOML parser and the guard adds no dependency for one line)."""
    names: list[str] = []
    table = ""
    for line in text.splitlines():
        header = _TOML_TABLE.match(line)
        if header:
            table = header.group(1).replace(" ", "").replace('"', "")
            continue
        m = _TOML_NAME.match(line)
        if m and table in ("project", "tool.poetry"):
            names.append(m.group(2))
    return names


def own_package(module: str, dist: str, repo: Repository, top: Collection[str] | None = None) -> str | None:
    """Why ``module`` is the repository's own code (None when it is not). ``top``: the top-level
    names, when already listed."""
    name = module.split(".")[0]
    top = repo.listdir("") if top is None else top
    src = repo.listdir("src") if top is None or "src" in top else None
    for entries, label in ((top, "the top level"), (src, "src/")):
        if entries and (name in entries or f"{name}.py" in entries):
            return f"{name} is the repository's own package (in {label})"
    projects = project_names(repo, top)
    if normalise(name) in projects or normalise(dist) in projects:
        return f"{name} is this project's own name"
    return None


def _listed(text: str) -> set[str]:
    return {
        normalise(re.split(r"[\s<>=!~;\[#@]", line.strip(), maxsplit=1)[0])
        for line in text.splitlines()
        if line.strip() and not line.lstrip().startswith(("#", "-"))
    }


@dataclass(frozen=True)
class PythonRequirement:
    """A missing Python module: add its well-known distribution to the requirements file."""

    id: str = "python-requirement"

    def applies(self, diagnosis: Diagnosis, extra: Mapping[str, str] | None = None) -> str | None:
        module = diagnosis.params.get("module")
        if diagnosis.category != "dependency_missing" or not isinstance(module, str) or not module:
            return f"no fix recipe for {diagnosis.strategy}"
        if not diagnosis.strategy.startswith("python-"):
            return f"no fix recipe for {diagnosis.strategy} yet (only Python requirements files are edited)"
        dist = known_distribution(module, extra)
        if dist is None or not _SAFE_NAME.match(dist):
            return (
                f"{module.split('.')[0]!r} is not a well-known distribution, so no pull request adds it "
                "(a typo, or a module of the repository itself?); if it is a dependency, add it to "
                "requirements.txt, or name it under fixes.python_distributions in the config"
            )
        return None

    def propose(
        self, diagnosis: Diagnosis, repo: Repository, extra: Mapping[str, str] | None = None
    ) -> FileChange | str:
        reason = self.applies(diagnosis, extra)
        if reason is not None:
            return reason
        module = str(diagnosis.params["module"])
        dist = known_distribution(module, extra) or ""
        top = repo.listdir("")
        own = own_package(module, dist, repo, top)
        if own is not None:
            return f"{own}: the import path or the install step is wrong, not a dependency missing"
        for path in REQUIREMENTS_FILES:
            if top is not None and path.split("/")[0] not in top:
                continue
            found = repo.read(path)
            if found is None:
                continue
            text, sha = found
            if normalise(dist) in _listed(text):
                return f"{dist} is already in {path}: the job may install another file or environment"
            new = text if text.endswith("\n") or not text else text + "\n"
            return FileChange(path, f"{new}{dist}\n", sha, f"add {dist} to {path}")
        return "the repository has no requirements.txt to add the dependency to (pyproject.toml is not edited)"


PYTHON_REQUIREMENT = PythonRequirement()
