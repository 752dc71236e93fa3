#!/usr/bin/env python3
"""Checks that every versioned options struct of the baseline is a prefix of the same struct today.

abi/libslbcert.abignore lets abidiff accept members appended to these structs. libabigail 2.2 (Debian
bookworm) applies that rule to the whole change of a struct once no member is deleted and the struct
did not shrink, so a member whose type or name changed next to the appended one would pass as well.
This closes that gap: each member the baseline has must still be there, first and in the same order,
with the same name, offset and type (types rendered in full, through typedefs and pointers), and the
struct may only grow. The struct names are the suppression's own name_regexp.

Usage: abi/options-prefix.py SUPPRESSIONS BASELINE.abi CURRENT.abi
"""
import re
import sys
import xml.etree.ElementTree as ET


def versioned_structs_regexp(suppressions_path):
    with open(suppressions_path, encoding="utf-8") as suppressions:
        for line in suppressions:
            match = re.match(r"\s*name_regexp\s*=\s*(\S+)\s*$", line)
            if match:
                return re.compile(match.group(1))
    sys.exit(f"options-prefix: no name_regexp in {suppressions_path}")


class Corpus:
    def __init__(self, path):
        self.types = {}
        self.structs = {}
        for element in ET.parse(path).iter():
            type_id = element.get("id")
            if type_id:
                self.types[type_id] = element
            if element.tag == "class-decl" and element.get("is-declaration-only") != "yes":
                self.structs[element.get("name")] = element

    def render(self, type_id, seen=()):
        """A type as text that differs whenever its layout or meaning for a caller does."""
        element = self.types.get(type_id)
        if element is None:
            return f"<unknown {type_id}>"
        tag = element.tag
        if tag == "type-decl":
            return f"{element.get('name')}:{element.get('size-in-bits', '?')}"
        if tag == "typedef-decl":
            return f"{element.get('name')}=({self.render(element.get('type-id'), seen)})"
        if tag == "pointer-type-def":
            return f"{self.render(element.get('type-id'), seen)}*"
        if tag == "qualified-type-def":
            qualifiers = [name for name in ("const", "volatile", "restrict") if element.get(name) == "yes"]
            return f"{' '.join(qualifiers)} {self.render(element.get('type-id'), seen)}"
        if tag == "function-type":
            parameters = [self.render(p.get("type-id"), seen) for p in element.findall("parameter")]
            returns = [self.render(r.get("type-id"), seen) for r in element.findall("return")]
            return f"function({', '.join(parameters)}) -> {', '.join(returns)}"
        if tag == "array-type-def":
            return f"{self.render(element.get('type-id'), seen)}[{element.get('size-in-bits', '?')} bits]"
        if tag == "enum-decl":
            values = [f"{e.get('name')}={e.get('value')}" for e in element.findall("enumerator")]
            return f"enum {element.get('name')}{{{', '.join(values)}}}"
        if tag == "class-decl":
            name = element.get("name")
            if element.get("is-declaration-only") == "yes" or name in seen:
                return f"struct {name}"
            members = [f"{m[0]}@{m[1]}:{m[2]}" for m in self.members(element, seen + (name,))]
            return f"struct {name}:{element.get('size-in-bits')}{{{'; '.join(members)}}}"
        return f"<{tag} {element.get('name', type_id)}>"

    def members(self, struct, seen=()):
        result = []
        for member in struct.findall("data-member"):
            variable = member.find("var-decl")
            result.append((variable.get("name"), int(member.get("layout-offset-in-bits")),
                           self.render(variable.get("type-id"), seen + (struct.get("name"),))))
        return result


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__.strip().splitlines()[-1])
    versioned = versioned_structs_regexp(sys.argv[1])
    baseline, current = Corpus(sys.argv[2]), Corpus(sys.argv[3])
    problems, checked = [], 0
    for name in sorted(n for n in baseline.structs if versioned.search(n)):
        checked += 1
        before = baseline.structs[name]
        after = current.structs.get(name)
        if after is None:
            problems.append(f"struct {name}: gone")
            continue
        old_size, new_size = int(before.get("size-in-bits")), int(after.get("size-in-bits"))
        if new_size < old_size:
            problems.append(f"struct {name}: shrank from {old_size} to {new_size} bits")
        old_members, new_members = baseline.members(before), current.members(after)
        for index, old in enumerate(old_members):
            new = new_members[index] if index < len(new_members) else None
            if new != old:
                was = f"'{old[0]}' at bit {old[1]}, type {old[2]}"
                now = f"'{new[0]}' at bit {new[1]}, type {new[2]}" if new else "missing"
                problems.append(f"struct {name}: member {index + 1} was {was}; now {now}")
        for added in new_members[len(old_members):]:
            if added[1] < old_size:
                problems.append(f"struct {name}: appended member '{added[0]}' starts at bit {added[1]}, "
                                f"inside the baseline's {old_size} bits")
    if checked == 0:
        sys.exit("options-prefix: the baseline has no struct matching the suppression's name_regexp")
    for problem in problems:
        print(f"options-prefix: {problem}")
    if problems:
        return 1
    print(f"options-prefix: ok: {checked} versioned options structs keep their baseline members as a prefix")
    return 0


if __name__ == "__main__":
    sys.exit(main())
