"""tools/role_readme.py: a role's README made from its argument spec (a small role written here), and
every role's README of the project is the one its spec gives."""

import textwrap

from scripts import load

readme = load("role_readme", "tools", "role_readme.py")


def test_a_readme_carries_the_purpose_the_options_and_the_articles(tmp_path):
    (tmp_path / "meta").mkdir()
    (tmp_path / "tasks").mkdir()
    (tmp_path / "meta" / "argument_specs.yml").write_text(textwrap.dedent("""\
        argument_specs:
          main:
            short_description: Does one thing
            description: [It does it well.]
            options:
              demo__mode:
                type: str
                default: a
                choices: [a, b]
                description: Which way | how.
              demo__uri:
                type: str
                default: |-
                  {{ 'x' if demo__mode == 'a'
                     else 'y' }}
                description: Where.
        """), encoding="utf-8")
    (tmp_path / "tasks" / "main.yml").write_text("# suspends a mailbox (Art. 7.2)\n", encoding="utf-8")
    text = readme.render(str(tmp_path), readme._conformance())
    assert "Does one thing.\n\nIt does it well.\n" in text
    assert "| `demo__mode` | str | `a` | Which way \\| how. Choices: `a`, `b`. |" in text
    assert "| `demo__uri` | str | see below | Where. |" in text
    assert "demo__uri: |-\n  {{ 'x' if demo__mode == 'a'\n     else 'y' }}\n" in text
    assert "| 7.2 | Tạm khóa hộp thư" in text and "`tasks/main.yml` |" in text


def test_every_readme_of_the_project_is_up_to_date():
    assert readme.main(["--check"]) == 0
