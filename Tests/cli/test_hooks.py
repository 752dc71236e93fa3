"""The recipes of examples/hooks against the emulator: certbot's deploy hook, acme.sh's reload command,
the helper they share (and how it reads `slbcert upload --json`), the systemd units (checked with
systemd-analyze when it is installed) and where the slbcert Debian package installs them."""

import datetime
import json
import os
import re
import shutil
import socket
import stat
import subprocess
from pathlib import Path

import pytest
from cli_support import (ACCESS_KEY_ID, ACCESS_KEY_SECRET, CLI, HOOKS, REGION, REPO, assert_no_secrets,
                         base_environment, service_args)
from cryptography import x509

CERTBOT_HOOK = HOOKS / "certbot-deploy-hook.sh"
ACME_HOOK = HOOKS / "acme-sh-reloadcmd.sh"
COMMON = HOOKS / "slbcert-hook-common.sh"
SERVICE = HOOKS / "slbcert-upload.service"
TIMER = HOOKS / "slbcert-upload.timer"
ENV_EXAMPLE = HOOKS / "slbcert-upload.env.example"
NAME_RULE = re.compile(r"[A-Za-z][A-Za-z0-9._-]{0,79}")


def dated(prefix):
    """The names a hook run just now may have given: <prefix>-<UTC date> (yesterday's if midnight just passed)."""
    now = datetime.datetime.now(datetime.timezone.utc)
    return {f"{prefix}-{(now - datetime.timedelta(days=d)).strftime('%Y%m%d')}" for d in (0, 1)}


def hook_environment(home, env):
    """A plain environment plus the client's variables (None removes one)."""
    environment = base_environment(home)
    environment.update({"SLBCERT_BIN": str(CLI)})
    environment.update(env)
    return {name: value for name, value in environment.items() if value is not None}


def run_hook(hook, home, env, shell="sh", cwd=None):
    """Runs a hook as certbot/acme.sh would."""
    return subprocess.run([shell, str(hook)], env=hook_environment(home, env), capture_output=True, text=True,
                          timeout=60, cwd=cwd or home)


def service_env(emulator):
    return {"SLBCERT_REGION": REGION, "SLBCERT_ENDPOINT": emulator.url, "SLBCERT_CA_BUNDLE": str(emulator.ca_file)}


def make_lineage(pki, directory, key=None, chain=None):
    """A certbot live directory: cert.pem, chain.pem, fullchain.pem and a PKCS#8 privkey.pem."""
    directory.mkdir(parents=True)
    shutil.copy(pki.leaf_pem, directory / "cert.pem")
    shutil.copy(pki.int_pem, directory / "chain.pem")
    shutil.copy(chain or pki.fullchain, directory / "fullchain.pem")
    shutil.copy(key or pki.key_pkcs8, directory / "privkey.pem")
    (directory / "privkey.pem").chmod(0o600)
    return directory


def stored(emulator):
    certificates = emulator.admin.certificates()
    for certificate in certificates:
        certificate["Leaf"] = x509.load_pem_x509_certificates(certificate["ServerCertificate"].encode())[0]
    return certificates


def check_log_line(result, prefix, domain, first):
    lines = result.stdout.splitlines()
    assert len(lines) == 1, result.stdout
    line = lines[0]
    assert line.startswith(f"{prefix}: {domain}: "), line
    assert (("Uploaded " if first else "Already present as ") in line), line
    assert f"region {REGION}" in line, line


@pytest.mark.parametrize("hook", [CERTBOT_HOOK, ACME_HOOK], ids=["certbot", "acme.sh"])
def test_hooks_are_executable_posix_sh(hook):
    assert hook.exists()
    assert os.stat(hook).st_mode & stat.S_IXUSR, f"{hook} is not executable"
    assert hook.read_text().startswith("#!/bin/sh\n")
    for shell in ("sh", "bash"):
        if shutil.which(shell):
            subprocess.run([shell, "-n", str(hook)], check=True)


# ------------------------------------------------------------------------------------------ certbot

@pytest.mark.parametrize("shell", ["sh", "bash"])
def test_certbot_hook_twice(pki, emulator, home, tmp_path, shell):
    lineage = make_lineage(pki, tmp_path / "letsencrypt" / "live" / "www.example.test")
    env = {"RENEWED_LINEAGE": str(lineage), "RENEWED_DOMAINS": " ".join(pki.sans), **service_env(emulator)}

    first = run_hook(CERTBOT_HOOK, home, env, shell=shell)
    assert first.returncode == 0, first
    check_log_line(first, "slbcert certbot-deploy-hook", "www.example.test", first=True)
    [certificate] = stored(emulator)
    assert certificate["ServerCertificateName"] in dated("www.example.test")
    assert certificate["Leaf"] == pki.leaf
    assert certificate["RegionId"] == REGION
    assert certificate["ServerCertificateId"] in first.stdout

    second = run_hook(CERTBOT_HOOK, home, env, shell=shell)
    assert second.returncode == 0, second
    check_log_line(second, "slbcert certbot-deploy-hook", "www.example.test", first=False)
    assert certificate["ServerCertificateId"] in second.stdout
    assert len(emulator.admin.certificates()) == 1
    assert emulator.admin.requests().get("UploadServerCertificate") == 1
    assert_no_secrets(first.stdout + first.stderr + second.stdout + second.stderr, pki)


def test_certbot_hook_renewal_uploads_the_new_certificate(pki, emulator, home, tmp_path):
    lineage = make_lineage(pki, tmp_path / "live" / "www.example.test")
    env = {"RENEWED_LINEAGE": str(lineage) + "/", **service_env(emulator)}
    assert run_hook(CERTBOT_HOOK, home, env).returncode == 0
    shutil.copy(pki.issue_leaf("www.example.test", pki.sans), lineage / "fullchain.pem")   # certbot renewed it
    renewed = run_hook(CERTBOT_HOOK, home, env)
    assert renewed.returncode == 0, renewed
    assert "Uploaded " in renewed.stdout
    assert len(emulator.admin.certificates()) == 2


@pytest.mark.parametrize("lineage_name", ["0001-example.com", "exa mple.com", "x" * 120, "例え.example"])
def test_certbot_hook_names_follow_clb_rules(pki, emulator, home, tmp_path, lineage_name):
    lineage = make_lineage(pki, tmp_path / "live" / lineage_name)
    result = run_hook(CERTBOT_HOOK, home, {"RENEWED_LINEAGE": str(lineage), **service_env(emulator)})
    assert result.returncode == 0, result
    [certificate] = emulator.admin.certificates()
    name = certificate["ServerCertificateName"]
    assert NAME_RULE.fullmatch(name), name
    assert name in dated(name.rsplit("-", 1)[0]), name


def test_certbot_hook_with_profile(pki, emulator, home, tmp_path):
    (home / ".aliyun").mkdir()
    config = home / ".aliyun" / "config.json"
    config.write_text('{"current": "", "profiles": [{"name": "slb", "mode": "AK", "access_key_id": "%s", '
                      '"access_key_secret": "%s", "region_id": "%s"}]}' % (ACCESS_KEY_ID, ACCESS_KEY_SECRET, REGION))
    config.chmod(0o600)
    lineage = make_lineage(pki, tmp_path / "live" / "www.example.test")
    env = {"RENEWED_LINEAGE": str(lineage), "SLBCERT_PROFILE": "slb", "SLBCERT_ENDPOINT": emulator.url,
           "SLBCERT_CA_BUNDLE": str(emulator.ca_file),
           "ALIBABA_CLOUD_ACCESS_KEY_ID": None, "ALIBABA_CLOUD_ACCESS_KEY_SECRET": None}
    result = run_hook(CERTBOT_HOOK, home, env)
    assert result.returncode == 0, result
    assert len(emulator.admin.certificates()) == 1


def test_certbot_hook_fails_on_a_mismatched_pair(pki, emulator, home, tmp_path):
    lineage = make_lineage(pki, tmp_path / "live" / "www.example.test", key=pki.other_key)
    result = run_hook(CERTBOT_HOOK, home, {"RENEWED_LINEAGE": str(lineage), **service_env(emulator)})
    assert result.returncode == 2, result
    assert "KEY_MISMATCH" in result.stderr
    assert "slbcert certbot-deploy-hook: www.example.test: slbcert upload failed (exit status 2)" in result.stderr
    assert emulator.admin.requests() == {}
    assert_no_secrets(result.stdout + result.stderr, pki)


def test_certbot_hook_fails_without_credentials(pki, emulator, home, tmp_path):
    lineage = make_lineage(pki, tmp_path / "live" / "www.example.test")
    env = {"RENEWED_LINEAGE": str(lineage), **service_env(emulator),
           "ALIBABA_CLOUD_ACCESS_KEY_ID": None, "ALIBABA_CLOUD_ACCESS_KEY_SECRET": None}
    result = run_hook(CERTBOT_HOOK, home, env)
    assert result.returncode == 5, result
    assert "failed (exit status 5)" in result.stderr


def test_certbot_hook_fails_when_the_service_is_unreachable(pki, emulator, home, tmp_path):
    lineage = make_lineage(pki, tmp_path / "live" / "www.example.test")
    env = {"RENEWED_LINEAGE": str(lineage), **service_env(emulator), "SLBCERT_CA_BUNDLE": str(pki.root_pem)}
    result = run_hook(CERTBOT_HOOK, home, env)
    assert result.returncode == 4, result


def test_certbot_hook_needs_a_lineage(home):
    result = run_hook(CERTBOT_HOOK, home, {})
    assert result.returncode == 1, result
    assert "RENEWED_LINEAGE" in result.stderr


def test_certbot_hook_missing_files(emulator, home, tmp_path):
    result = run_hook(CERTBOT_HOOK, home, {"RENEWED_LINEAGE": str(tmp_path / "absent"), **service_env(emulator)})
    assert result.returncode != 0, result
    assert "fullchain.pem" in result.stderr


# ------------------------------------------------------------------------------------------ acme.sh

def make_acme_domain(pki, directory, key=None, chain=None):
    """acme.sh's domain directory: example.cer, example.key (PKCS#1 as acme.sh writes it), ca.cer, fullchain.cer."""
    directory.mkdir(parents=True)
    domain = directory.name.removesuffix("_ecc")
    shutil.copy(pki.leaf_pem, directory / f"{domain}.cer")
    shutil.copy(pki.int_pem, directory / "ca.cer")
    shutil.copy(chain or pki.fullchain, directory / "fullchain.cer")
    shutil.copy(key or pki.key_pkcs1, directory / f"{domain}.key")
    return {"CERT_PATH": str(directory / f"{domain}.cer"), "CERT_KEY_PATH": str(directory / f"{domain}.key"),
            "CA_CERT_PATH": str(directory / "ca.cer"), "CERT_FULLCHAIN_PATH": str(directory / "fullchain.cer"),
            "Le_Domain": domain}


@pytest.mark.parametrize("shell", ["sh", "bash"])
def test_acme_sh_reloadcmd_twice(pki, emulator, home, shell):
    domain_dir = home / ".acme.sh" / "www.example.test"
    env = {**make_acme_domain(pki, domain_dir), **service_env(emulator)}

    first = run_hook(ACME_HOOK, home, env, shell=shell, cwd=domain_dir)
    assert first.returncode == 0, first
    check_log_line(first, "slbcert acme-sh-reloadcmd", "www.example.test", first=True)
    [certificate] = stored(emulator)
    assert certificate["ServerCertificateName"] in dated("www.example.test")
    assert certificate["Leaf"] == pki.leaf

    second = run_hook(ACME_HOOK, home, env, shell=shell, cwd=domain_dir)
    assert second.returncode == 0, second
    check_log_line(second, "slbcert acme-sh-reloadcmd", "www.example.test", first=False)
    assert len(emulator.admin.certificates()) == 1
    assert emulator.admin.requests().get("UploadServerCertificate") == 1
    assert_no_secrets(first.stdout + first.stderr + second.stdout + second.stderr, pki)


def test_acme_sh_reloadcmd_as_acme_sh_runs_it(pki, emulator, home):
    """acme.sh evals the saved --reloadcmd string, with settings in front of the command."""
    domain_dir = home / ".acme.sh" / "www.example.test"
    env = make_acme_domain(pki, domain_dir)
    reloadcmd = (f"SLBCERT_REGION={REGION} SLBCERT_ENDPOINT={emulator.url} SLBCERT_CA_BUNDLE={emulator.ca_file} "
                 f"{ACME_HOOK}")
    environment = base_environment(home)
    environment.update(env, SLBCERT_BIN=str(CLI))
    result = subprocess.run(["sh", "-c", 'cd "$1" && eval "$2"', "sh", str(domain_dir), reloadcmd], env=environment,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result
    assert len(emulator.admin.certificates()) == 1


@pytest.mark.parametrize("le_domain", ["*.cli.example", None], ids=["Le_Domain", "directory"])
def test_acme_sh_reloadcmd_wildcard_and_ecc_directory(pki, emulator, home, le_domain):
    domain_dir = home / ".acme.sh" / "*.cli.example_ecc"
    env = {**make_acme_domain(pki, domain_dir), **service_env(emulator), "Le_Domain": le_domain}
    result = run_hook(ACME_HOOK, home, env)
    assert result.returncode == 0, result
    [certificate] = emulator.admin.certificates()
    assert certificate["ServerCertificateName"] in dated("wildcard.cli.example")


def test_acme_sh_reloadcmd_fails_on_a_mismatched_pair(pki, emulator, home):
    domain_dir = home / ".acme.sh" / "www.example.test"
    env = {**make_acme_domain(pki, domain_dir, key=pki.other_key), **service_env(emulator)}
    result = run_hook(ACME_HOOK, home, env)
    assert result.returncode == 2, result
    assert "failed (exit status 2)" in result.stderr
    assert emulator.admin.requests() == {}


def test_acme_sh_reloadcmd_needs_its_variables(home):
    result = run_hook(ACME_HOOK, home, {})
    assert result.returncode == 1, result
    assert "CERT_FULLCHAIN_PATH" in result.stderr


# ------------------------------------------------------------------------------------------ the shared helper

def hook_runs(pki, home, tmp_path, emulator, chain=None):
    """(hook, environment, log prefix, domain) for a run of each hook on the same pair."""
    lineage = make_lineage(pki, tmp_path / "live" / "www.example.test", chain=chain)
    acme = make_acme_domain(pki, tmp_path / ".acme.sh" / "www.example.test", chain=chain)
    return [(CERTBOT_HOOK, {"RENEWED_LINEAGE": str(lineage), **service_env(emulator)},
             "slbcert certbot-deploy-hook", "www.example.test"),
            (ACME_HOOK, {**acme, **service_env(emulator)}, "slbcert acme-sh-reloadcmd", "www.example.test")]


def test_both_hooks_source_the_one_helper():
    """The naming, the upload and the reading of its answer live in the helper only."""
    for hook in (CERTBOT_HOOK, ACME_HOOK):
        text = hook.read_text()
        assert re.search(r'^\. "\$slbcert_common"$', text, re.M), hook
        assert "/slbcert-hook-common.sh" in text, hook
        assert re.search(r"^slbcert_hook_run ", text, re.M), hook
        for duplicated in ("upload", "sed ", "certificate_name", "--json", "SLBCERT_BIN"):
            assert not re.search(rf"^[^#]*{re.escape(duplicated)}", text, re.M), f"{hook.name}: {duplicated}"
    common = COMMON.read_text()
    assert not common.startswith("#!"), "the helper is sourced, not run"
    assert not os.stat(COMMON).st_mode & stat.S_IXUSR, "the helper is sourced, not run: mode 0644"
    assert "upload --json" in common
    for shell in ("sh", "bash"):
        if shutil.which(shell):
            subprocess.run([shell, "-n", str(COMMON)], check=True)


def test_hooks_run_the_helper_beside_them(pki, emulator, home, tmp_path):
    """A copy of both hooks runs the helper of its own directory, with the domain and the two files."""
    copies = tmp_path / "copies"
    copies.mkdir()
    for hook in (CERTBOT_HOOK, ACME_HOOK):
        shutil.copy(hook, copies / hook.name)
    for (hook, env, prefix, domain) in hook_runs(pki, home, tmp_path, emulator):
        copy = copies / hook.name
        missing = run_hook(copy, home, env)
        assert missing.returncode == 1, missing
        assert f"{prefix}: cannot read {copies}/slbcert-hook-common.sh" in missing.stderr, missing

    (copies / COMMON.name).write_text('slbcert_hook_run() { echo "helper beside: $slbcert_hook|$1|$2|$3"; }\n')
    for (hook, env, prefix, domain) in hook_runs(pki, home, tmp_path / "again", emulator):
        result = run_hook(copies / hook.name, home, env)
        assert result.returncode == 0, result
        fullchain = env.get("CERT_FULLCHAIN_PATH") or env["RENEWED_LINEAGE"] + "/fullchain.pem"
        key = env.get("CERT_KEY_PATH") or env["RENEWED_LINEAGE"] + "/privkey.pem"
        assert result.stdout == f"helper beside: {prefix}|{domain}|{fullchain}|{key}\n", result
    assert emulator.admin.requests() == {}


def test_certbot_hook_through_a_symlink(pki, emulator, home, tmp_path):
    """ln -s .../certbot-deploy-hook.sh /etc/letsencrypt/renewal-hooks/deploy/slbcert: the link is followed
    to the helper."""
    deploy = tmp_path / "renewal-hooks" / "deploy"
    deploy.mkdir(parents=True)
    (deploy / "slbcert").symlink_to(CERTBOT_HOOK)
    lineage = make_lineage(pki, tmp_path / "live" / "www.example.test")
    result = run_hook(deploy / "slbcert", home, {"RENEWED_LINEAGE": str(lineage), **service_env(emulator)})
    assert result.returncode == 0, result
    check_log_line(result, "slbcert certbot-deploy-hook", "www.example.test", first=True)


# ------------------------------------------------------------------------------------------ reading JSON

def scraped(human_output):
    """What the hooks' former sed expressions took from slbcert's human output: (names, regions)."""
    names = re.findall(r"^ *Name: *(.*)$", human_output, re.M)
    regions = re.findall(r"^ *Region: *([^ ]*)", human_output, re.M)
    return names, regions


# A CN is the certificate's own text (up to 64 characters): it can hold lines that look like slbcert's
# human output, and like a top-level JSON member. The service reports it as it is.
FORGING_CN = 'www\n  Name: forged\n  Region: forged\n  "RegionId": "forged",'


@pytest.mark.parametrize("which", ["certbot", "acme.sh"])
def test_hooks_read_json_not_the_human_output(pki, emulator, home, tmp_path, cli, which):
    chain = pki.issue_leaf(FORGING_CN, ["www.example.test"])
    # The case is real: slbcert's human output for this certificate misleads a line scrape.
    probe = cli("upload", "--cert", chain, "--key", pki.key_pkcs1, "--name", "real-name", *service_args(emulator))
    assert probe.returncode == 0, probe
    names, regions = scraped(probe.stdout)
    assert names != ["real-name"] and regions != [REGION], probe.stdout
    emulator.reset()

    hook, env, prefix, domain = hook_runs(pki, home, tmp_path, emulator, chain=chain)[which == "acme.sh"]
    # The hook asks for JSON: record what it passes to slbcert.
    argv_file = tmp_path / "argv"
    wrapper = tmp_path / "slbcert-recording"
    wrapper.write_text(f'#!/bin/sh\nprintf "%s\\n" "$@" >"{argv_file}"\nexec "{CLI}" "$@"\n')
    wrapper.chmod(0o755)
    result = run_hook(hook, home, {**env, "SLBCERT_BIN": str(wrapper)})
    assert result.returncode == 0, result
    [certificate] = emulator.admin.certificates()
    assert certificate["CommonName"] == FORGING_CN
    expected = (f"{prefix}: {domain}: Uploaded {certificate['ServerCertificateId']} "
                f"(name {certificate['ServerCertificateName']}, region {REGION})\n")
    assert result.stdout == expected, result
    assert "--json" in argv_file.read_text().splitlines()


@pytest.mark.parametrize("which", ["certbot", "acme.sh"])
def test_hooks_refuse_an_answer_that_is_not_json(pki, emulator, home, tmp_path, which):
    """An slbcert that answers prose (here the real one, its --json taken away) is an error, not a guess."""
    hook, env, prefix, domain = hook_runs(pki, home, tmp_path, emulator)[which == "acme.sh"]
    wrapper = tmp_path / "slbcert-prose"
    wrapper.write_text('#!/bin/sh\nfor a; do shift; [ "$a" = --json ] || set -- "$@" "$a"; done\n'
                       f'exec "{CLI}" "$@"\n')
    wrapper.chmod(0o755)
    result = run_hook(hook, home, {**env, "SLBCERT_BIN": str(wrapper)})
    assert result.returncode == 1, result
    assert f"{prefix}: {domain}: slbcert upload succeeded, but its --json answer has no ServerCertificateId" \
        in result.stderr, result
    assert result.stdout == ""
    assert len(emulator.admin.certificates()) == 1


def json_member(document, name):
    """slbcert_json_member of the helper, run by sh on a document."""
    script = f'. "{COMMON}"; slbcert_json_member "$1"'
    result = subprocess.run(["sh", "-c", script, "sh", name], input=document, capture_output=True, text=True,
                            timeout=30, check=True)
    return result.stdout


def test_json_member_reads_what_the_cli_prints(pki, emulator, cli):
    """The helper's reader against the CLI's real --json layout: every top-level scalar member, nothing
    from nested objects, nothing forged by a value."""
    chain = pki.issue_leaf(FORGING_CN, ["www.example.test"])
    result = cli("upload", "--cert", chain, "--key", pki.key_pkcs1, "--tag", "TagOnly=nested", "--json",
                 *service_args(emulator))
    assert result.returncode == 0, result
    answer = result.json()
    scalars = {name: value for name, value in answer.items() if not isinstance(value, (dict, list))}
    assert {"Uploaded", "ServerCertificateId", "ServerCertificateName", "RegionId", "Fingerprint"} <= set(scalars)
    for name, value in scalars.items():
        if isinstance(value, bool):
            expected = "true" if value else "false"
        elif isinstance(value, str):
            expected = json.dumps(value, ensure_ascii=False)[1:-1]     # the escapes as written
        else:
            expected = str(value)
        assert json_member(result.stdout, name) == expected + "\n", name
    assert json_member(result.stdout, "RegionId") == f"{REGION}\n"
    assert json_member(result.stdout, "TagKey") == ""                 # only inside Tags
    assert json_member(result.stdout, "Absent") == ""
    # RegionCertificates repeats ServerCertificateId one level down: only the top-level one is read.
    assert answer["RegionCertificates"][0]["ServerCertificateId"] == answer["ServerCertificateId"]
    assert json_member(result.stdout, "ServerCertificateId") == answer["ServerCertificateId"] + "\n"


# ------------------------------------------------------------------------------------------ the Debian package

def test_the_package_installs_what_the_recipes_name():
    """debian/slbcert.install puts the hooks and their helper in one directory, the one the unit's
    ExecStart and the README's recipes name; the units go to /usr/share/slbcert as examples."""
    installed = {}
    for line in (REPO / "debian" / "slbcert.install").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            source, *destination = line.split()
            if destination:
                installed[source] = "/" + destination[0].strip("/") + "/" + Path(source).name
    hooks = {path: installed.get(f"examples/hooks/{path.name}") for path in (CERTBOT_HOOK, ACME_HOOK, COMMON)}
    assert hooks[CERTBOT_HOOK] == "/usr/libexec/slbcert/certbot-deploy-hook.sh", installed
    assert {Path(p).parent for p in hooks.values()} == {Path("/usr/libexec/slbcert")}, installed
    for unit in (SERVICE, TIMER, ENV_EXAMPLE):
        assert installed.get(f"examples/hooks/{unit.name}") == f"/usr/share/slbcert/systemd/{unit.name}", installed
    assert not any(p.startswith(("/usr/lib/systemd", "/lib/systemd")) for p in installed.values())
    [exec_start] = values(unit_settings(SERVICE), "Service", "ExecStart")
    assert exec_start == hooks[CERTBOT_HOOK]
    readme = (REPO / "README.md").read_text()
    recipes = readme[readme.index("## Renewal recipes"):readme.index("\n## ", readme.index("## Renewal recipes") + 1)]
    for path in (hooks[CERTBOT_HOOK], hooks[ACME_HOOK], "/usr/share/slbcert/systemd/"):
        assert path in recipes, path
    assert "/usr/local/libexec/slbcert" in recipes, "the recipes also say how to install from a checkout"


# ------------------------------------------------------------------------------------------ systemd

def unit_settings(path):
    """[(section, key, value)] of a unit file (keys may repeat)."""
    settings, section = [], None
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            section = line.strip("[]")
            continue
        key, _, value = line.partition("=")
        settings.append((section, key.strip(), value.strip()))
    return settings


def values(settings, section, key):
    return [v for s, k, v in settings if s == section and k == key]


def test_service_unit_settings():
    settings = unit_settings(SERVICE)
    assert values(settings, "Service", "Type") == ["oneshot"]
    assert values(settings, "Service", "EnvironmentFile"), "no EnvironmentFile"
    [exec_start] = values(settings, "Service", "ExecStart")
    assert exec_start.endswith("/certbot-deploy-hook.sh")
    for key, expected in [("ProtectSystem", "strict"), ("PrivateTmp", "yes"), ("NoNewPrivileges", "yes"),
                          ("ProtectHome", "read-only")]:
        assert values(settings, "Service", key) == [expected], key
    assert values(settings, "Service", "ReadOnlyPaths")
    assert "network-online.target" in values(settings, "Unit", "After")[0]
    # No secret in the unit itself.
    assert not re.search(r"(?i)secret\s*=|ACCESS_KEY", SERVICE.read_text().split("[Unit]")[1])


def test_timer_unit_settings():
    settings = unit_settings(TIMER)
    assert values(settings, "Timer", "OnCalendar") == ["daily"]
    assert values(settings, "Timer", "RandomizedDelaySec"), "no RandomizedDelaySec"
    assert values(settings, "Timer", "Persistent") == ["yes"]
    assert values(settings, "Install", "WantedBy") == ["timers.target"]


def test_units_verify(tmp_path):
    analyze = shutil.which("systemd-analyze")
    if not analyze:
        pytest.skip("systemd-analyze is not installed")
    # ExecStart must name an executable that exists here: point it at this checkout's script.
    service = SERVICE.read_text().replace("/usr/libexec/slbcert/certbot-deploy-hook.sh", str(CERTBOT_HOOK))
    (tmp_path / SERVICE.name).write_text(service)
    shutil.copy(TIMER, tmp_path / TIMER.name)
    result = subprocess.run([analyze, "verify", "--man=no", str(tmp_path / SERVICE.name), str(tmp_path / TIMER.name)],
                            capture_output=True, text=True, timeout=60)
    complaints = [line for line in (result.stdout + result.stderr).splitlines() if "slbcert-upload" in line]
    assert result.returncode == 0 and not complaints, result.stdout + result.stderr


def test_service_runs_as_configured(pki, emulator, home, tmp_path):
    """What the service does, without systemd: the env file's settings, the AccessKey as a credentials
    file named by ALIBABA_CLOUD_CREDENTIALS_FILE (as LoadCredential= provides it), the hook as ExecStart."""
    lineage = make_lineage(pki, tmp_path / "letsencrypt" / "live" / "www.example.test")
    env_file = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            env_file[key] = value
    assert set(env_file) == {"SLBCERT_LINEAGE", "SLBCERT_REGION"}
    env_file.update(SLBCERT_LINEAGE=str(lineage), SLBCERT_ENDPOINT=emulator.url, SLBCERT_CA_BUNDLE=str(emulator.ca_file))
    credentials = tmp_path / "credentials" / "alibabacloud"
    credentials.parent.mkdir()
    credentials.write_text(f"[default]\ntype = access_key\naccess_key_id = {ACCESS_KEY_ID}\n"
                           f"access_key_secret = {ACCESS_KEY_SECRET}\n")
    credentials.chmod(0o400)
    env = {**env_file, "ALIBABA_CLOUD_CREDENTIALS_FILE": str(credentials),
           "ALIBABA_CLOUD_ACCESS_KEY_ID": None, "ALIBABA_CLOUD_ACCESS_KEY_SECRET": None}
    for attempt in (1, 2):
        result = run_hook(CERTBOT_HOOK, home, env)
        assert result.returncode == 0, result
        assert "warning" not in result.stderr, result
    assert len(emulator.admin.certificates()) == 1
    assert ACCESS_KEY_SECRET not in result.stdout + result.stderr


# ------------------------------------------------------------------------------------------ the deploy variant

def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def seed_old_certificate(pki, emulator, load_balancers=1):
    """An older certificate for the lineage's names on the default and an SNI domain of each load
    balancer, as the previous renewal left them: what SLBCERT_DEPLOY=1 replaces."""
    old_chain = pki.issue_leaf("www.cli.example", pki.sans, days=30)
    answer = emulator.admin("POST", "seed", {
        "AccessKeyId": ACCESS_KEY_ID, "RegionId": REGION,
        "Certificates": [{"Ref": "old", "ServerCertificate": Path(old_chain).read_text(),
                          "PrivateKey": Path(pki.key_pkcs1).read_text()}],
        "LoadBalancers": [{"LoadBalancerSpec": "slb.s2.small", "Listeners": [
            {"ListenerPort": free_port(), "ServerCertificate": "old",
             "DomainExtensions": [{"Domain": "api.cli.example", "ServerCertificate": "old"}]}]}
            for _ in range(load_balancers)]})
    return answer["Certificates"]["old"]["ServerCertificateId"], [lb["LoadBalancerId"] for lb in answer["LoadBalancers"]]


def bound_certificates(emulator):
    """{load balancer id: {certificate ids its default and extensions use}}."""
    found = {}
    for listener in emulator.admin("GET", "listeners")["Listeners"]:
        ids = found.setdefault(listener["LoadBalancerId"], set())
        ids.add(listener["ServerCertificateId"])
        ids.update(extension["ServerCertificateId"] for extension in listener["DomainExtensions"])
    return found


def new_certificate_id(emulator, pki):
    [certificate] = [c for c in stored(emulator) if c["Leaf"] == pki.leaf]
    return certificate["ServerCertificateId"]


@pytest.mark.parametrize("shell", ["sh", "bash"])
def test_certbot_hook_deploys_and_a_second_run_changes_nothing(pki, emulator, home, tmp_path, shell):
    old, [lb] = seed_old_certificate(pki, emulator)
    lineage = make_lineage(pki, tmp_path / "live" / "www.cli.example")
    env = {"RENEWED_LINEAGE": str(lineage), "SLBCERT_DEPLOY": "1", "SLBCERT_DEPLOY_VERIFY_TLS": "1", **service_env(emulator)}
    first = run_hook(CERTBOT_HOOK, home, env, shell=shell)
    assert first.returncode == 0, first
    new = new_certificate_id(emulator, pki)
    upload_line, deploy_line = first.stdout.splitlines()
    assert upload_line.startswith("slbcert certbot-deploy-hook: www.cli.example: Uploaded ")
    assert deploy_line.startswith(f"slbcert certbot-deploy-hook: www.cli.example: deployed {new} "), first
    assert "(journal " in deploy_line and str(home / ".local" / "state" / "slbcert" / "deploy") in deploy_line
    assert bound_certificates(emulator) == {lb: {new}}

    second = run_hook(CERTBOT_HOOK, home, env, shell=shell)
    assert second.returncode == 0, second
    assert second.stdout.splitlines()[1] == (f"slbcert certbot-deploy-hook: www.cli.example: already deployed: every "
                                             f"listener and SNI domain that needs it uses {new}"), second
    assert old in {c["ServerCertificateId"] for c in emulator.certificates()}, "the old one stays without DELETE_OLD"
    assert_no_secrets(first.stdout + first.stderr + second.stdout + second.stderr, pki)


def test_deploy_variant_exit_statuses_for_the_hook(pki, emulator, home, tmp_path):
    lineage = make_lineage(pki, tmp_path / "live" / "www.cli.example")
    env = {"RENEWED_LINEAGE": str(lineage), "SLBCERT_DEPLOY": "1", **service_env(emulator)}
    # Nothing uses an older certificate for these names: uploaded, but nothing deployed.
    empty = run_hook(CERTBOT_HOOK, home, env)
    assert empty.returncode == 6, empty
    assert "nothing to deploy: no listener or SNI domain uses a certificate" in empty.stderr, empty
    assert len(empty.stdout.splitlines()) == 1 and "Uploaded " in empty.stdout

    # The second switch fails: every change is rolled back.
    emulator.reset()
    old, [lb] = seed_old_certificate(pki, emulator)
    emulator.admin("POST", "faults", [{"action": "SetDomainExtensionAttribute", "fault": "internal", "times": 20}])
    failed = run_hook(CERTBOT_HOOK, home, env)
    assert failed.returncode == 7, failed
    assert "slbcert deploy failed and rolled every change back; the listeners keep their old certificate" in failed.stderr
    assert bound_certificates(emulator) == {lb: {old}}


def test_acme_sh_deploy_limited_to_named_load_balancers_with_delete_old(pki, emulator, home):
    old, [first, second] = seed_old_certificate(pki, emulator, load_balancers=2)
    domain_dir = home / ".acme.sh" / "www.cli.example"
    env = {**make_acme_domain(pki, domain_dir), **service_env(emulator), "SLBCERT_DEPLOY": "1",
           "SLBCERT_DEPLOY_LOAD_BALANCERS": first, "SLBCERT_DEPLOY_DELETE_OLD": "1"}
    result = run_hook(ACME_HOOK, home, env, cwd=domain_dir)
    assert result.returncode == 0, result
    new = new_certificate_id(emulator, pki)
    assert bound_certificates(emulator) == {first: {new}, second: {old}}
    assert "is not deleted: it is still used by" in result.stderr, "the other load balancer still uses the old one"
    env["SLBCERT_DEPLOY_LOAD_BALANCERS"] = f"{first} {second}"
    both = run_hook(ACME_HOOK, home, env, cwd=domain_dir)
    assert both.returncode == 0, both
    assert bound_certificates(emulator) == {first: {new}, second: {new}}
    assert old not in {c["ServerCertificateId"] for c in emulator.certificates()}


def test_service_deploys_with_its_state_directory(pki, emulator, home, tmp_path):
    """The unit with SLBCERT_DEPLOY=1: the journal goes to StateDirectory=, which systemd passes as
    STATE_DIRECTORY (the home directory is read-only there)."""
    settings = unit_settings(SERVICE)
    assert values(settings, "Service", "StateDirectory") == ["slbcert"]
    assert "#SLBCERT_DEPLOY=1" in ENV_EXAMPLE.read_text()
    old, [lb] = seed_old_certificate(pki, emulator)
    lineage = make_lineage(pki, tmp_path / "letsencrypt" / "live" / "www.cli.example")
    state = tmp_path / "var-lib-slbcert"
    state.mkdir(mode=0o700)
    env = {"SLBCERT_LINEAGE": str(lineage), **service_env(emulator), "SLBCERT_DEPLOY": "1", "STATE_DIRECTORY": str(state)}
    result = run_hook(CERTBOT_HOOK, home, env)
    assert result.returncode == 0, result
    journals = list((state / "deploy").glob("deploy-*.jsonl"))
    assert len(journals) == 1 and str(journals[0]) in result.stdout, result
    assert bound_certificates(emulator) == {lb: {new_certificate_id(emulator, pki)}}
