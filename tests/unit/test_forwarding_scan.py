"""The scan of the Sieve redirects (roles/imap/files/congvu-forwarding-scan.py, docs/forwarding.md):
which addresses a script sends to, and which of them leave the official system."""

from scripts import load

scan = load("congvu_forwarding_scan", "roles", "imap", "files", "congvu-forwarding-scan.py")

ROUNDCUBE = '''require ["copy","vacation"];
# rule:[chuyen tiep]
if true
{
\tredirect :copy "ca.nhan@gmail.com";
}
# rule:[nghi phep]
if header :contains "subject" "redirect \\"x@evil.example\\";"
{
\tvacation :days 1 :subject "Nghỉ phép" "Tôi đang nghỉ phép.";
}
'''


def test_a_roundcube_script_gives_its_redirect_and_not_the_words_inside_strings_or_comments():
    assert scan.destinations(ROUNDCUBE) == [("redirect", "ca.nhan@gmail.com")]


def test_comments_and_tags_are_skipped_and_notify_by_mailto_is_found():
    script = ('/* redirect "a@old.example"; */ redirect :notify "failure" :copy\n  "b@partner.example" ;\n'
              'notify :message "co thu" "mailto:c@outside.example?subject=x";\n'
              'REDIRECT text:\nd@multi.example\n.\n;')
    assert scan.destinations(script) == [("redirect", "b@partner.example"), ("notify", "c@outside.example"),
                                         ("redirect", "d@multi.example")]


def test_inside_the_domain_and_listed_domains_and_their_subdomains_only():
    allowed = ["bo.gov.vn"]
    own = {"quangbinh.gov.vn"}
    assert scan.inside("annv.stttt@quangbinh.gov.vn", own, allowed)
    assert scan.inside("X@BO.GOV.VN", own, allowed)
    assert scan.inside("x@vp.bo.gov.vn", own, allowed)
    assert not scan.inside("x@notbo.gov.vn", own, allowed)
    assert not scan.inside("x@gmail.com", own, allowed)
    assert not scan.inside("x@quangbinh.gov.vn.evil.example", own, allowed)
    assert not scan.inside("x@gov.vn", own, allowed)
    # an address made at run time cannot be checked beforehand: listed for a person to look at
    assert not scan.inside("${to}", own, allowed)


def test_a_former_domain_during_a_change_of_domain_is_inside():
    own = {"quangtri.gov.vn", "quangbinh.gov.vn"}
    assert scan.inside("annv.stttt@quangbinh.gov.vn", own, [])
    assert scan.inside("annv.stttt@quangtri.gov.vn", own, [])
    assert not scan.inside("x@sub.quangbinh.gov.vn", own, [])
