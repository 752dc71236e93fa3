"""Shell completions: the scripts swift-argument-parser generates from the CLI's own definitions.

The files are the ones `make install` installs, from $SLBCERT_COMPLETIONS (`make test-cli` sets it to
build/completions); without it they are generated here the same way. The bash completion is loaded
into a plain bash (no bash-completion package, no rc files) and driven as readline drives it: the
COMP_* variables of the line typed so far, then the function `complete -p slbcert` names.
"""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from cli_support import CLI

# Installed file name per shell, as the Makefile writes them.
FILES = {"bash": "slbcert", "zsh": "_slbcert", "fish": "slbcert.fish"}

# Completes the last word of $2 with the completion script $1; prints one candidate per line.
DRIVER = r"""
source "$1" || exit 90
spec=$(complete -p slbcert) || { echo "no completion registered for slbcert" >&2; exit 91; }
function=$(sed -nE 's/.* -F ([^ ]+) .*/\1/p' <<<"$spec")
[ -n "$function" ] || { echo "no completion function in: $spec" >&2; exit 92; }
COMP_LINE=$2
COMP_POINT=${#COMP_LINE}
read -ra COMP_WORDS <<<"$COMP_LINE"
[[ $COMP_LINE == *' ' ]] && COMP_WORDS+=('')
COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
COMPREPLY=()
"$function" slbcert "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
printf '%s\n' "${COMPREPLY[@]}"
"""


@pytest.fixture(scope="module")
def completions(tmp_path_factory):
    built = os.environ.get("SLBCERT_COMPLETIONS")
    if built:
        directory = Path(built)
    else:
        directory = tmp_path_factory.mktemp("completions")
        for shell, name in FILES.items():
            script = subprocess.run([str(CLI), "--generate-completion-script", shell], capture_output=True,
                                    text=True, timeout=30, check=True).stdout
            if shell == "bash" and script.startswith("#!"):
                script = script.split("\n", 1)[1]
            (directory / name).write_text(script)
    missing = [name for name in FILES.values() if not (directory / name).is_file()]
    assert not missing, f"completion scripts missing in {directory}: {missing} (run `make completions`)"
    return directory


def complete(completions, line):
    result = subprocess.run(["bash", "--norc", "--noprofile", "-c", DRIVER, "driver",
                             str(completions / FILES["bash"]), line],
                            capture_output=True, text=True, timeout=30, env={"PATH": os.environ["PATH"]})
    assert result.returncode == 0, result
    return [word for word in result.stdout.split("\n") if word]


def test_bash_completes_a_subcommand(completions):
    assert complete(completions, "slbcert up") == ["upload"]


def test_bash_completes_an_option_of_the_subcommand(completions):
    assert complete(completions, "slbcert upload --ce") == ["--cert"]


def test_bash_offers_every_subcommand(completions):
    offered = complete(completions, "slbcert ")
    for command in ["inspect", "normalize", "upload", "list", "rename", "delete", "sign"]:
        assert command in offered


def test_bash_offers_only_the_subcommands_options(completions):
    # --region belongs to the service commands, not to inspect.
    assert "--region" in complete(completions, "slbcert upload --")
    assert "--region" not in complete(completions, "slbcert inspect --")


def test_bash_completion_is_the_clis_own(completions):
    # Generated from the definitions, not written by hand: the file is what the CLI prints today, less
    # the "#!" line (the file is sourced; the Makefile drops it).
    generated = subprocess.run([str(CLI), "--generate-completion-script", "bash"], capture_output=True,
                               text=True, timeout=30, check=True).stdout
    if generated.startswith("#!"):
        generated = generated.split("\n", 1)[1]
    assert (completions / FILES["bash"]).read_text() == generated


def test_zsh_and_fish_scripts_name_the_command(completions):
    zsh = (completions / FILES["zsh"]).read_text()
    assert zsh.startswith("#compdef slbcert\n")
    assert "'--cert[" in zsh and "'upload:" in zsh
    fish = (completions / FILES["fish"]).read_text()
    assert "complete -c 'slbcert'" in fish
    assert "-l 'cert'" in fish and "-fa 'upload'" in fish


def fish_complete(completions, home, line):
    """fish's own `complete -C LINE`: the candidates fish would offer, one per line, TAB description."""
    result = subprocess.run(["fish", "--no-config", "-c", 'source $argv[1]; complete -C $argv[2]',
                             str(completions / FILES["fish"]), line],
                            capture_output=True, text=True, timeout=30,
                            env={"PATH": os.environ["PATH"], "HOME": str(home), "XDG_CONFIG_HOME": str(home),
                                 "XDG_DATA_HOME": str(home)})
    assert result.returncode == 0, result
    return [candidate.split("\t")[0] for candidate in result.stdout.split("\n") if candidate]


needs_fish = pytest.mark.skipif(shutil.which("fish") is None, reason="fish is not installed (scripts/install-deps.sh test)")


@needs_fish
def test_fish_completes_a_subcommand(completions, tmp_path):
    assert fish_complete(completions, tmp_path, "slbcert up") == ["upload"]


@needs_fish
def test_fish_completes_an_option_of_the_subcommand(completions, tmp_path):
    assert fish_complete(completions, tmp_path, "slbcert upload --ce") == ["--cert"]


@pytest.mark.skipif(shutil.which("zsh") is None, reason="zsh is not installed (scripts/install-deps.sh test)")
def test_zsh_script_parses(completions):
    result = subprocess.run(["zsh", "--no-rcs", "-n", str(completions / FILES["zsh"])], capture_output=True,
                            text=True, timeout=30)
    assert result.returncode == 0, result
