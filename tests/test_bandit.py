"""bandit over the project (as `make security` runs it): no medium or high finding
that is not justified inline with `# nosec BXXX`."""

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BANDIT = shutil.which("bandit", path=str(Path(sys.executable).parent)) or "bandit"


def run_bandit(*targets: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [BANDIT, "-c", "pyproject.toml", "-ll", "-q", "-f", "custom", "--msg-template",
         "{relpath}:{line} {test_id} {severity} {msg}", "-r", *targets],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def test_bandit_finds_no_medium_or_high_issue_in_the_project():
    result = run_bandit(".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_bandit_as_configured_would_catch_a_shell_injection(tmp_path):
    sample = tmp_path / "sample_app"
    sample.mkdir()
    (sample / "views.py").write_text(
        "import subprocess\n\ndef run(name):\n    subprocess.call('ls ' + name, shell=True)\n"
    )
    result = run_bandit(str(sample))
    assert result.returncode == 1
    assert "B602" in result.stdout
