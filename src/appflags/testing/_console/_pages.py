"""The console's pages: server-side HTML in which every name, value and rule is text.

Everything that comes from a document, a file name, a context or a client goes through
:func:`h` (``html.escape``) before it reaches the page; nothing is ever marked safe.
"""

from __future__ import annotations

import json
from html import escape
from string import Template
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from appflags.testing._console._documents import KIND_NOTES, FlagRow, kind_of, rows
from appflags.testing._console._files import ServedFile as _ServedFile

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from appflags.testing._console._evaluation import Answer, Step
    from appflags.testing._console._files import DeployedProfile, ServedFile

    Shown = ServedFile | DeployedProfile


def h(value: object) -> str:
    """``value`` as HTML text (quotes escaped too: safe in attributes)."""
    return escape(str(value), quote=True)


_PAGE = Template("""\
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="appflags-token" content="$token">
<title>$title · appflags console</title>
<link rel="stylesheet" href="/ui/console.css">
<script src="/ui/console.js" defer></script>
</head>
<body>
<header>
<a class="brand" href="/ui/">appflags console</a>
<nav aria-label="Views">$nav</nav>
</header>
<main id="main">
<h1>$title</h1>
$body
</main>
</body>
</html>
""")

_CURRENT = ' aria-current="page"'
_VIEWS = (("/ui/", "Flags"), ("/ui/evaluate", "Evaluate"), ("/ui/activity", "Clients and versions"))


def page(title: str, body: str, token: str, current: str = "") -> bytes:
    """A whole page; ``body`` is HTML built by this module's functions."""
    nav = "".join(
        f'<a href="{href}"{_CURRENT if href == current else ""}>{name}</a>' for href, name in _VIEWS
    )
    return _PAGE.substitute(title=h(title), body=body, token=h(token), nav=nav).encode()


def problem_block(message: str, problems: Iterable[tuple[str, str]] = ()) -> str:
    """An error and its problems, each with its path."""
    lines = [message, *(f"{path}: {text}" for path, text in problems)]
    return f'<p class="problem" role="alert">{h(chr(10).join(lines))}</p>'


def _hidden(fields: Mapping[str, str]) -> str:
    return "".join(f'<input type="hidden" name="{h(k)}" value="{h(v)}">' for k, v in fields.items())


def edit_form(
    file: ServedFile,
    token: str,
    op: str,
    key: str,
    *,
    inner: str,
    button: str,
    inline: bool = False,
    label: str | None = None,
) -> str:
    """A form posting one edit of ``file``'s profile; problems appear in its output."""
    # The token rides in the form too, so that an edit works without script.
    fields = {"token": token, "profile": file.profile, "etag": file.served.etag, "op": op}
    fields["flag"] = key
    css = "edit inline" if inline else "edit"
    aria = f' aria-label="{h(label)}"' if label else ""
    output = '<output class="problems" role="alert" tabindex="-1"></output>'
    return (
        f'<form class="{css}" method="post" action="/ui/edit">{_hidden(fields)}{inner}'
        f'<button type="submit"{aria}>{h(button)}</button>{output}</form>'
    )


# -- flags -----------------------------------------------------------------------------


def flags_page(files: Iterable[Shown], token: str) -> bytes:
    """Every profile's flags, with a search box."""
    parts = [
        '<label for="search">Search flags</label>'
        '<input type="search" id="search" placeholder="flag key" autocomplete="off">'
    ]
    parts.extend(_profile_section(file, token) for file in files)
    return page("Flags", "\n".join(parts), token, "/ui/")


def _profile_section(file: Shown, token: str) -> str:
    served = file.served
    kind = kind_of(served.doc, served.format)
    start = file.start
    start_rows = {} if start is None else {r.key: r for r in rows(start.doc, start.format)}
    version = file.history[-1].number if file.history else "?"
    out = [
        f'<section aria-labelledby="p-{h(file.profile)}">',
        f'<h2 id="p-{h(file.profile)}">Profile {h(file.profile)}</h2>',
        f"<p><code>{h(file.path)}</code> · version {h(version)} · {h(KIND_NOTES[kind])}</p>",
    ]
    if file.problem:
        out.append(problem_block(f"Not served (the last good version is): {file.problem}"))
    if not file.editable:
        out.append(f'<p class="note">{h(file.read_only_note)}</p>')
    out.append(
        '<div class="scroll"><table class="cards"><thead><tr><th scope="col">Key</th>'
        '<th scope="col">Enabled</th><th scope="col">Attributes</th>'
        '<th scope="col">Variants</th><th scope="col">Rules</th>'
        '<th scope="col">Changed since start</th><th scope="col">Actions</th>'
        "</tr></thead><tbody>"
    )
    for row in rows(served.doc, served.format):
        before = start_rows.get(row.key)
        changed = "new" if before is None else ("yes" if before != row else "")
        out.append(_flag_row(file, row, changed, token))
    out.append("</tbody></table></div>")
    if isinstance(file, _ServedFile) and file.editable:
        inner = (
            f'<label for="add-{h(file.profile)}">New flag key</label>'
            f'<input type="text" id="add-{h(file.profile)}" name="flag" required> '
        )
        form = edit_form(file, token, "add", "", inner=inner, button="Add flag")
        out.append(form.replace('<input type="hidden" name="flag" value="">', ""))
    out.append("</section>")
    return "\n".join(out)


def _flag_row(file: Shown, row: FlagRow, changed: str, token: str) -> str:
    types = ", ".join(f"{name}: {kind}" for name, kind in row.types.items()) or "none"
    link = f"/ui/flag?profile={_q(file.profile)}&amp;key={_q(row.key)}"
    actions = f'<a href="{link}">Edit<span class="visually-hidden"> {h(row.key)}</span></a>'
    if row.toggles and isinstance(file, _ServedFile) and file.editable:
        toggle = edit_form(
            file,
            token,
            "toggle",
            row.key,
            inner="",
            button="Toggle",
            inline=True,
            label=f"Toggle {row.key}",
        )
        actions = f"{toggle} {actions}"
    return (
        f'<tr data-key="{h(row.key)}"><th scope="row"><code>{h(row.key)}</code></th>'
        f'<td class="enabled" data-label="Enabled">{h(row.enabled)}</td>'
        f'<td data-label="Attributes">{h(types)}</td>'
        f'<td data-label="Variants">{row.variants or ""}</td>'
        f'<td data-label="Rules">{"yes" if row.rules else ""}</td>'
        f'<td class="changed" data-label="Changed since start">{h(changed)}</td>'
        f"<td>{actions}</td></tr>"
    )


def _q(text: str) -> str:
    return h(quote(text, safe=""))


def flag_page(file: Shown, key: str, token: str) -> bytes:
    """One flag: its switches, attribute values, variants and definition, each editable."""
    served = file.served
    kind = kind_of(served.doc, served.format)
    row = next(r for r in rows(served.doc, served.format) if r.key == key)
    out = [
        f'<p>Profile <a href="/ui/#p-{h(file.profile)}">{h(file.profile)}</a> · '
        f"<code>{h(file.path)}</code> · {h(KIND_NOTES[kind])}</p>",
        f'<p>Enabled: <strong class="enabled">{h(row.enabled)}</strong></p>',
    ]
    if not isinstance(file, _ServedFile) or not file.editable:
        out.append(f'<p class="note">{h(file.read_only_note)}</p>')
        out.append(f"<pre>{h(json.dumps(row.definition, indent=2))}</pre>")
        return page(f"Flag {key}", "\n".join(out), token)
    if row.toggles:
        out.append(
            edit_form(file, token, "toggle", key, inner="", button="Toggle", label=f"Toggle {key}")
        )
    if kind in ("appconfig-stored", "appconfig-values") and row.toggles and row.types:
        out.append(_attributes_form(file, token, kind, key, served.doc))
    if kind == "appconfig-stored":
        variants = served.doc.get("values", {}).get(key, {}).get("_variants", [])
        inner = (
            '<label for="variants">Variants and rules (JSON array, first match wins; '
            "the last variant is the default, without a rule)</label>"
            f'<textarea id="variants" name="variants" rows="12">'
            f"{h(json.dumps(variants, indent=2, ensure_ascii=False))}</textarea>"
        )
        out.append(
            "<fieldset><legend>Variants</legend>"
            + edit_form(file, token, "variants", key, inner=inner, button="Save variants")
            + "</fieldset>"
        )
    if kind == "flagd":
        out.append(_default_variant_form(file, token, key, served.doc["flags"][key]))
    inner = (
        '<label for="definition">Definition (JSON)</label>'
        f'<textarea id="definition" name="definition" rows="14">'
        f"{h(json.dumps(row.definition, indent=2, ensure_ascii=False))}</textarea>"
    )
    out.append(
        "<fieldset><legend>Edit as JSON</legend>"
        + edit_form(file, token, "definition", key, inner=inner, button="Save definition")
        + "</fieldset>"
    )
    confirm = (
        '<input type="checkbox" id="confirm-delete" name="confirm" value="yes" required> '
        f'<label class="check" for="confirm-delete">Yes, delete {h(key)}</label> '
    )
    out.append(
        "<fieldset><legend>Delete</legend>"
        f"{edit_form(file, token, 'delete', key, inner=confirm, button='Delete flag')}</fieldset>"
    )
    return page(f"Flag {key}", "\n".join(out), token)


def _attributes_form(file: ServedFile, token: str, kind: str, key: str, doc: Any) -> str:
    if kind == "appconfig-stored":
        specs = doc["flags"][key].get("attributes", {})
        values = doc.get("values", {}).get(key, {})
    else:
        values = doc[key]
        specs = {name: {} for name in values if name != "enabled"}
    fields = []
    for index, (name, spec) in enumerate(specs.items()):
        constraints = spec.get("constraints", {})
        kind_name = constraints.get("type", "")
        hint = (
            ", ".join(f"{k}: {json.dumps(v)}" for k, v in constraints.items()) or "no constraints"
        )
        value = values.get(name)
        if value is None:
            text = ""
        elif isinstance(value, str) and kind_name in ("", "string"):
            text = value
        else:
            text = json.dumps(value, ensure_ascii=False)
        if kind_name == "" and not isinstance(value, str) and value is not None:
            kind_name = "json"
        fields.append(
            f'<label for="attr-{index}">{h(name)}</label>'
            f'<input type="text" id="attr-{index}" name="attr:{h(name)}" value="{h(text)}"'
            f' aria-describedby="attr-{index}-hint">'
            f' <span class="hint" id="attr-{index}-hint">{h(hint)}'
            f"{'; JSON' if kind_name not in ('', 'string') else ''}</span>"
        )
    inner = "".join(fields)
    return (
        "<fieldset><legend>Attribute values</legend>"
        + edit_form(file, token, "attributes", key, inner=inner, button="Save attribute values")
        + "</fieldset>"
    )


def _default_variant_form(file: ServedFile, token: str, key: str, flag: Mapping[str, Any]) -> str:
    current = flag.get("defaultVariant")
    options = ['<option value="">(none: the caller\'s default)</option>']
    for name in flag.get("variants", {}):
        selected = " selected" if name == current else ""
        options.append(f'<option value="{h(name)}"{selected}>{h(name)}</option>')
    inner = (
        '<label for="default-variant">Default variant</label>'
        f'<select id="default-variant" name="variant">{"".join(options)}</select> '
    )
    return (
        "<fieldset><legend>Default variant</legend>"
        + edit_form(file, token, "default-variant", key, inner=inner, button="Save default variant")
        + "</fieldset>"
    )


# -- evaluate --------------------------------------------------------------------------


def evaluate_page(
    files: list[Shown],
    chosen: Shown,
    form: Mapping[str, Any],
    token: str,
    result: str,
) -> bytes:
    """The context form (rows or JSON) and, once asked, every flag's answer."""
    options = "".join(
        f'<option value="{h(f.profile)}"{" selected" if f is chosen else ""}>{h(f.profile)}'
        "</option>"
        for f in files
    )
    names: list[str] = list(form.get("name", []))
    values: list[str] = list(form.get("value", []))
    count = max(4, len(names) + 1, len(values) + 1)
    names += [""] * (count - len(names))
    values += [""] * (count - len(values))
    rows_html = "".join(
        f'<input type="text" name="name" value="{h(n)}" aria-label="Attribute {i + 1} name"'
        f' placeholder="name">'
        f'<input type="text" name="value" value="{h(v)}" aria-label="Attribute {i + 1} value"'
        f' placeholder="value (JSON or text)">'
        for i, (n, v) in enumerate(zip(names, values, strict=True))
    )
    keys = [r.key for r in rows(chosen.served.doc, chosen.served.format)]
    asked = form.get("explain", [""])[0]
    explain_options = "".join(f'<option value="{h(k)}"></option>' for k in keys)
    context_json = form.get("context", [""])[0]
    body = f"""\
<form method="get" action="/ui/evaluate" aria-label="Context">
<label for="profile">Profile</label><select id="profile" name="profile">{options}</select>
<fieldset><legend>Context attributes</legend>
<p class="hint">Name and value per row; a value is read as JSON when it is JSON
(<code>42</code>, <code>true</code>, <code>["a"]</code>), else as text.</p>
<div class="rows">{rows_html}</div></fieldset>
<label for="context">Context as JSON (the rows above are applied over it)</label>
<textarea id="context" name="context" rows="4">{h(context_json)}</textarea>
<label for="explain">Explain flag</label>
<input type="text" id="explain" name="explain" value="{h(asked)}" list="flag-keys"
 aria-describedby="explain-hint"> <span class="hint" id="explain-hint">a flag key: which
rule matched, which failed, what each read</span>
<datalist id="flag-keys">{explain_options}</datalist>
<p><button type="submit">Evaluate</button></p>
</form>
{result}"""
    return page("Evaluate", body, token, "/ui/evaluate")


def answers_table(answers: list[Answer]) -> str:
    """Every key's answer."""
    out = [
        '<h2 id="answers">Answers</h2><div class="scroll">'
        '<table class="cards" aria-labelledby="answers">'
        '<thead><tr><th scope="col">Key</th><th scope="col">Value</th>'
        '<th scope="col">Variant</th><th scope="col">Reason</th>'
        '<th scope="col">Error code</th><th scope="col">Error message</th></tr></thead><tbody>'
    ]
    for a in answers:
        out.append(
            f'<tr data-answer="{h(a.key)}"><th scope="row"><code>{h(a.key)}</code></th>'
            f'<td class="value" data-label="Value"><code>{h(a.value)}</code></td>'
            f'<td class="variant" data-label="Variant">{h(a.variant or "")}</td>'
            f'<td data-label="Reason">{h(a.reason)}</td>'
            f'<td data-label="Error code">{h(a.error_code or "")}</td>'
            f'<td data-label="Error message">{h(a.error_message or "")}</td></tr>'
        )
    out.append("</tbody></table></div>")
    return "".join(out)


def trace_block(key: str, trace: list[Step] | str) -> str:
    """The ``explain`` trace of one flag."""
    head = f'<h2 id="explained">Explain <code>{h(key)}</code></h2>'
    if isinstance(trace, str):
        return f"{head}<p>{h(trace)}</p>"
    out = [
        head,
        '<div class="scroll"><table aria-labelledby="explained"><thead><tr>'
        '<th scope="col">Variant</th><th scope="col">Rule</th><th scope="col">Result</th>'
        '<th scope="col">Context values read</th></tr></thead><tbody>',
    ]
    for step in trace:
        reads = ", ".join(f"{k} = {v}" for k, v in step.reads.items())
        out.append(
            f"<tr><td>{h(step.variant)}</td><td><code>{h(step.rule or '(default)')}</code></td>"
            f"<td>{h(step.result)}</td><td><code>{h(reads)}</code></td></tr>"
        )
    out.append("</tbody></table></div>")
    return "".join(out)
