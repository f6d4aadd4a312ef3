"""Counts that refer back ("Repeat at least five times") and repeats along the way ("work your way up")."""

from __future__ import annotations

import re
from typing import Any

import audioguide.draft.phrases as ph
from .nodes import Node, chapter_name_words, movement, num, say, sequence, short

#: At most this long (seconds, with the defaults) for the rounds of one loop: ten such hours would not compile.
ROUNDS_SECONDS = 3600


class CountRules:
    """Mixed into Drafter: what a count of what came before becomes (a repeat after each movement, or a loop)."""

    def counted(self, name: str, amount: ph.Amount) -> None:
        self.add(Node("repeat", {"repeat": {"count": name, "tempo": self.time("rep_time"), "style": "count"}},
                      group=self.group))
        if amount.each_way:
            self.add(say("Now the other way.", self.group, "instruction", then=1))
            self.add(Node("repeat", {"repeat": {"count": name, "tempo": self.time("rep_time"), "style": "count"}},
                          group=self.group))

    # -- counts of what came before -------------------------------------------

    def group_nodes(self, since_counts: bool = True) -> list[int]:
        """Indexes of this group's top-level nodes since its last repeat or loop (or since it began)."""
        stops = ("repeat", "loop", "chapter") if since_counts else ("chapter", "per_side")
        idx = []
        for i in range(len(self.out) - 1, -1, -1):
            node = self.out[i]
            if node.group != self.group or node.key in stops or node.role == "choice":
                break
            idx.append(i)
        return idx[::-1]

    def count_back(self, text: str, amounts: list[ph.Amount]) -> None:
        count = next(a for a in amounts if a.unit == "count")
        idx = self.group_nodes()
        says = [i for i in idx if self.out[i].key == "say" and self.out[i].role in ("instruction", "hold")
                or self.out[i].key in ("per_side", "for_each")]
        if not says:
            node = say(text, self.group, "note", then=self.time("gap"))
            node.comments.append("CHECK: a count for steps the draft could not find; say what to repeat")
            self.add(node)
            return
        last = self.out[says[-1]]
        words = ph.name_words(ph.clause_before(text, count.start)) or \
            (chapter_name_words(self.chapter) if last.key != "say" or not self.chapter_derived else []) or \
            ph.name_words(ph.clause_before(last.source, len(last.source)))
        extra = [a for a in amounts if a is not count]
        # A self-paced line ("for as long as it takes": ready) is a wait like a hold: a count of it repeats the
        # whole step in a loop; a counted repeat after it would need the line to have time to do it (then) too.
        paced = [i for i in idx if "ready" in self.out[i].fields]
        complex_body = bool(paced) or any(self.out[i].key in ("hold", "per_side", "for_each") for i in idx)
        if complex_body or ph.is_slow(last.source) and len(says) == 1 or ph.is_slow(last.source) and \
                not sequence(self.out, says):
            sides = [i for i in idx if self.out[i].key == "per_side"]
            start = sides[0] if sides else (says[0] if not complex_body else idx[0])
            if not sides and not complex_body:
                start = says[-1]
            name = self.setting(words, "times", count, help=back_help("Rounds for", body_source(self.out[start:]), text))
            body = self.out[start:]
            del self.out[start:]
            loop = Node("loop", {"count": name}, steps=body, group=self.group, source=text)
            n_says = sum(1 for n in body if n.key == "say" and n.role != "note")
            if n_says == 1 and body[0].key == "say":
                body[0].fields["again"] = "And again."
            for node in body:
                if node.key == "say" and node.role == "note":
                    node.fields["again"] = ""
            self.fit_rounds(name, count, body)
            if paced:
                loop.comments.append(f"CHECK: the guide counts a self-paced step (\"{count.phrase}\"): each round "
                                     "of this loop waits for the go-ahead (ready) instead of counting at a pace")
            if n_says > 2 or extra:
                also = f"; it also says \"{extra[0].phrase}\"" if extra else ""
                loop.comments.append(f"CHECK: which steps this loop repeats (the guide: \"{text}\"{also})")
            self.out.append(loop)
            return
        targets = [i for i in says if movement(self.out[i].source)] if sequence(self.out, says) else [says[-1]]
        what = "Times for each movement, like" if len(targets) > 1 else "Times for"
        name = self.setting(words, "times", count, help=back_help(what, self.out[targets[0]].source, text))
        for i in reversed(targets):
            self.out[i].fields["then"] = 1
            reps = [Node("repeat", {"repeat": {"count": name, "tempo": self.time("rep_time"), "style": "count"}},
                         group=self.group)]
            self.out[i + 1:i + 1] = reps

    def fit_rounds(self, name: str, amount: ph.Amount, body: list[Node]) -> None:
        """A loop's rounds take at most an hour with the defaults: "Hold for 10 minutes. Repeat 100 times" is
        drafted as 5 rounds (CHECK), as a routine's session is at most ten hours (the draft must compile)."""
        each, spec = self.seconds_of(body), self.settings[name]
        most = max(1, int(ROUNDS_SECONDS // each)) if each else spec["default"]
        if spec["default"] <= most:
            return
        said = f"{self.setting_checks[name]}; " if name in self.setting_checks else f'the guide says "{amount.phrase}": '
        self.setting_checks[name] = (f"{said}{num(spec['default'])} rounds of about {round(each)} s would take over an "
                                     f"hour; the draft uses {most} (a session is at most ten hours)")
        spec["default"], spec["min"] = most, min(spec["min"], most)

    def seconds_of(self, nodes: list[Node]) -> float:
        """About how long ``nodes`` take with the default settings (speech at about 15 characters a second)."""
        def value(amount: Any) -> float:
            return float(self.settings[amount]["default"]) if isinstance(amount, str) else float(amount or 0)

        total = 0.0
        for node in nodes:
            f = node.fields
            if node.key == "say":
                total += len(f["say"]) / 15 + value(f.get("then")) + value(f.get("ready"))
            elif node.key == "hold":
                total += value(f["hold"]["seconds"]) + 1
            elif node.key == "repeat":
                total += value(f["repeat"]["count"]) * value(f["repeat"]["tempo"])
            elif node.key == "loop":
                total += value(f["count"]) * self.seconds_of(node.steps)
            elif node.key == "per_side":
                total += 2 * self.seconds_of(node.steps) + self.seconds_of(node.switch)
            elif node.key == "for_each":
                total += len(f["items"]) * self.seconds_of(node.steps)
        return round(total, 1)

    def work_your_way(self, text: str) -> bool:
        """"Squeeze ... hold about three seconds. Start on top and work your way up": repeat the squeeze."""
        idx = self.group_nodes()
        holds = [i for i in idx if self.out[i].key == "hold"]
        if not holds:
            return False
        start = holds[-1] - 1
        hold_say = self.out[start]
        if start - 1 in idx and re.search(r"\b(?:it|this|that)\b|^(?:you should )?hold\b", hold_say.source, re.I) \
                and self.out[start - 1].key == "say":
            start -= 1
        body = self.out[start:holds[-1] + 1]
        del self.out[start:holds[-1] + 1]
        self.out.append(say(text, self.group, "instruction", then=self.time("act_time")))
        words = chapter_name_words(self.chapter) or ph.name_words(body[0].source)
        name = self.setting(words, "times", default=5, lo=1, hi=20,
                            help=f"Squeezes along the way (the guide: \"{short(text)}\").")
        self.setting_checks[name] = "how many times along the way: the guide gives no number"
        for k, node in enumerate(n for n in body if n.key == "say"):
            node.fields["again"] = "A little further along." if k == 0 else ""
        self.out.append(Node("loop", {"count": name}, steps=body, group=self.group, source=text))
        return True

    # -- sides ---------------------------------------------------------------


def back_help(what: str, target: str, said: str) -> str:
    return f"{what} \"{short(target, 50)}\" (the guide: \"{short(said, 50)}\")."


def body_source(body: list[Node]) -> str:
    """The first line a loop repeats, to name it in its setting's help."""
    return next((n.source for node in body for n in node.walk() if n.key == "say" and n.role != "note"), "")
