"""playbooks/site.yml on one all-in-one container (molecule scenario `full`).

One smoke test per role in site.yml; each role's own scenario tests it in depth.
"""


def test_common(host):
    assert host.file("/etc/localtime").linked_to == "/usr/share/zoneinfo/Asia/Ho_Chi_Minh"
    assert "vi_VN.utf8" in host.check_output("locale -a").split()
    assert host.file("/var/log/congvu").mode == 0o750
    assert host.addr("mail.quangbinh.gov.vn").is_resolvable


def test_host_is_in_every_service_group(host):
    # the all-in-one host carries every service, as inventories/demo/hosts.yml has it
    groups = host.ansible.get_variables()["group_names"]
    assert {"mail", "directory", "mx", "imap", "webmail"} <= set(groups)
