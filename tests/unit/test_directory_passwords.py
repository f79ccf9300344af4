"""Initial passwords of new mailboxes (Art. 4.3, 8): generated, checked here, sent pre-hashed.

slapd takes the reconcile's pre-hashed value without its own quality check (docs/directory.md,
"Initial passwords"), so what these tests pin down is the only check those passwords get.
"""

import base64
import hashlib

import pytest
from congvu import passwords
from congvu.directory import DirectoryError, Tree
from congvu.plan import Item
from congvu.state import Mailbox
from congvu_directory import Applier, AuditLog, SecretSink, initial_password_hash


def _decode(value):
    assert value.startswith("{SSHA512}")
    raw = base64.b64decode(value[len("{SSHA512}"):], validate=True)
    return raw[:64], raw[64:]


def test_art4_initial_password_hash_is_salted_sha512_of_the_password():
    password = passwords.generate()
    digest, salt = _decode(initial_password_hash(password))
    assert len(salt) == 16
    assert hashlib.sha512(password.encode() + salt).digest() == digest
    assert hashlib.sha512(b"another" + salt).digest() != digest


def test_art4_same_password_hashes_differently_each_time():
    password = passwords.generate()
    first, second = initial_password_hash(password), initial_password_hash(password)
    assert first != second and _decode(first)[1] != _decode(second)[1]


@pytest.mark.parametrize("_", range(200))
def test_art8_generated_initial_passwords_pass_the_policy_and_are_long(_):
    password = passwords.generate()
    assert passwords.problems(password) == [] and len(password) >= passwords.INITIAL_LENGTH == 16


def _one_create(tmp_path, password):
    box = Mailbox("TT0001", "stttt", "annv.stttt@quangbinh.gov.vn", name="Nguyễn Văn An",
                  history=["annv.stttt@quangbinh.gov.vn"])
    item = Item("person", box.id, box.agency, box.address, "create", None, box.as_dict())
    sink = SecretSink(str(tmp_path / "initial-passwords"))
    # conn=None: the refusal must come before any LDAP operation (and before the password file).
    applier = Applier(None, Tree("quangbinh.gov.vn"), AuditLog(None, "rev", "test"), sink, lambda: password)
    return applier, item, sink


@pytest.mark.parametrize("weak", ["abcdefghijklmnop", "Ab1-Ab1-Ab1", "Khoitao-2026"],
                         ids=["one-class", "short-11", "short-12"])
def test_art8_weak_or_short_initial_password_refused_before_anything_is_written(tmp_path, weak):
    applier, item, sink = _one_create(tmp_path, weak)
    with pytest.raises(DirectoryError, match="refusing the generated initial password"):
        applier._send(item)
    assert sink.written == {} and not (tmp_path / "initial-passwords").exists()
