"""Two configured pairs share one nginx.conf: a suppression used by one pair is not reported as unused."""

import io
from pathlib import Path

from advisor.commands import check
from advisor.commands.options import CheckOptions, HostFacts, Inputs

NGINX = """events {}
http {
  server {
    listen 80;
    location /a/ {
      proxy_pass http://127.0.0.1:8001;
      proxy_connect_timeout 500ms;
      proxy_read_timeout 20s;  # advisor: ignore[TMO002] -- app a is allowed 60 s on purpose
    }
    location /b/ {
      proxy_pass http://127.0.0.1:8002;
      proxy_connect_timeout 500ms;
      proxy_read_timeout 45s;
    }
  }
}
"""


def test_suppression_used_by_one_pair_is_not_unused_in_the_other(tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("nginx.conf").write_text(NGINX)
    Path("a.conf.py").write_text('bind = "127.0.0.1:8001"\nworkers = 2\ntimeout = 60\nbacklog = 16\n')
    Path("b.conf.py").write_text('bind = "127.0.0.1:8002"\nworkers = 2\ntimeout = 30\nbacklog = 16\n')
    Path(".advisor.toml").write_text(
        '[[pairs]]\nnginx = ["nginx.conf"]\napp = ["a.conf.py"]\n'
        '[[pairs]]\nnginx = ["nginx.conf"]\napp = ["b.conf.py"]\n')
    out, err = io.StringIO(), io.StringIO()
    code = check.run(CheckOptions(inputs=Inputs(), host=HostFacts.build(), output_format="concise"),
                     stdout=out, stderr=err)
    codes = [line.split()[1] for line in out.getvalue().splitlines() if line.startswith("nginx.conf")]
    assert "TMO002" not in codes, out.getvalue()
    assert "ADV100" not in codes, out.getvalue()
    assert code == 0, out.getvalue() + err.getvalue()


def test_suppression_unused_by_every_pair_is_reported(tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("nginx.conf").write_text(NGINX.replace("proxy_read_timeout 20s", "proxy_read_timeout 90s"))
    Path("a.conf.py").write_text('bind = "127.0.0.1:8001"\nworkers = 2\ntimeout = 60\nbacklog = 16\n')
    out = io.StringIO()
    check.run(CheckOptions(inputs=Inputs(paths=["nginx.conf", "a.conf.py"]), host=HostFacts.build(),
                           output_format="concise"), stdout=out, stderr=io.StringIO())
    assert "nginx.conf:8:" in out.getvalue() and "ADV100" in out.getvalue(), out.getvalue()
