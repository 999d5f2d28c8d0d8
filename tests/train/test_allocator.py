import subprocess
import sys

import pytest

from strl.train.allocator import ENV_VAR

SNIPPET = "from strl.train.allocator import keep_freed_memory; print(keep_freed_memory())"


def _run(env_value: str | None) -> str:
    import os

    env = dict(os.environ)
    env.pop(ENV_VAR, None)
    if env_value is not None:
        env[ENV_VAR] = env_value
    proc = subprocess.run([sys.executable, "-c", SNIPPET], capture_output=True, text=True, env=env, check=True)
    return proc.stdout.strip()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc setting")
def test_takes_effect_on_glibc_and_can_be_turned_off():
    import platform

    expected = "True" if platform.libc_ver()[0] == "glibc" else "False"
    assert _run(None) == expected
    assert _run("0") == "False"
