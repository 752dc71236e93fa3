"""The README's C and Python snippets, run unchanged against the emulator: only SLBCERT_ENDPOINT and
SLBCERT_CA_BUNDLE (and credentials, from the environment as usual) point them at it."""

import os
import re
import shutil
import subprocess

from cli_support import REPO

README = (REPO / "README.md").read_text()


def block(section, language):
    """The first fenced block of `language` after the heading `section`."""
    start = README.index(f"\n## {section}\n")
    match = re.compile(rf"```{language}\n(.*?)```", re.S).search(README, start)
    assert match, f"no {language} block under {section}"
    return match.group(1)


def emulator_environment(cli, emulator):
    environment = dict(cli.env)
    environment.update(SLBCERT_ENDPOINT=emulator.url, SLBCERT_CA_BUNDLE=str(emulator.ca_file))
    return environment


def test_the_c_snippet(cli, pki, emulator, tmp_path):
    source = tmp_path / "snippet.c"
    source.write_text(block("C", "c") + """
#include <stdlib.h>
static char *slurp(const char *path, size_t *length) {
    FILE *file = fopen(path, "rb");
    if (!file) return NULL;
    static char buffers[2][1 << 20];
    static int used;
    char *buffer = buffers[used++];
    *length = fread(buffer, 1, sizeof buffers[0], file);
    fclose(file);
    return buffer;
}
int main(int argc, char **argv) {
    size_t chain_len = 0, key_len = 0;
    const char *chain = argc > 2 ? slurp(argv[1], &chain_len) : NULL, *key = argc > 2 ? slurp(argv[2], &key_len) : NULL;
    if (!chain || !key) return 3;
    return upload(chain, chain_len, key, key_len) == 0 ? 0 : 1;
}
""")
    compiler = os.environ.get("CC") or shutil.which("cc") or "gcc"
    pkg = {**os.environ, "PKG_CONFIG_PATH": str(REPO / "build" / "lib" / "pkgconfig")}
    flags = subprocess.run(["pkg-config", "--cflags", "--libs", "slbcert"], env=pkg, capture_output=True, text=True,
                           check=True).stdout.split()
    program = tmp_path / "snippet"
    subprocess.run([compiler, "-std=c11", "-Wall", "-Werror", str(source), "-o", str(program), *flags,
                    f"-Wl,-rpath,{REPO / 'build' / 'lib'}"], check=True, capture_output=True, text=True)
    environment = emulator_environment(cli, emulator)
    first = subprocess.run([str(program), str(pki.fullchain), str(pki.key_pkcs8)], env=environment,
                           capture_output=True, text=True, timeout=60)
    assert first.returncode == 0 and first.stdout.startswith("uploaded "), first
    second = subprocess.run([str(program), str(pki.fullchain), str(pki.key_pkcs8)], env=environment,
                            capture_output=True, text=True, timeout=60)
    assert second.returncode == 0 and second.stdout.startswith("already present "), second
    assert len(emulator.admin.certificates()) == 1


def test_the_python_snippet(cli, pki, emulator, tmp_path):
    shutil.copy(pki.fullchain, tmp_path / "fullchain.pem")
    shutil.copy(pki.key_pkcs8, tmp_path / "privkey.pem")
    script = tmp_path / "snippet.py"
    script.write_text(block("Python", "python"))
    environment = emulator_environment(cli, emulator)
    environment["PYTHONPATH"] = str(REPO / "bindings" / "python" / "src")
    environment["SLBCERT_LIBRARY"] = str(REPO / "build" / "lib" / "libslbcert.so.1")
    import sys
    run = subprocess.run([sys.executable, str(script)], env=environment, cwd=tmp_path, capture_output=True, text=True,
                         timeout=60)
    assert run.returncode == 0, run
    assert re.search(r"^uploaded \d{16}_", run.stdout, re.M), run.stdout
    assert len(emulator.admin.certificates()) == 1
