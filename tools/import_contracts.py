"""import-linter contract types of this repository (registered in pyproject.toml's [tool.importlinter]).

`private_modules`: a private module (`_name`) belongs to the layer package it sits in
(`mlplat.components._iam` to `mlplat.components`); only modules of that package may import it.
Other packages use what the package exports.
"""

from __future__ import annotations

import grimp
from importlinter import Contract, ContractCheck, fields, output


class PrivateModulesContract(Contract):
    """Configuration: `packages`, the packages whose private modules only they may import."""

    type_name = "private_modules"

    packages = fields.ListField(subfield=fields.StringField())

    def check(self, graph: grimp.ImportGraph, verbose: bool) -> ContractCheck:
        broken: list[dict[str, object]] = []
        for package in self.packages:  # type: ignore[attr-defined]
            members = {package, *graph.find_descendants(package)}
            private = sorted(m for m in members if _is_private(m[len(package) + 1:]))
            for module in private:
                for importer in sorted(graph.find_modules_that_directly_import(module) - members):
                    lines = tuple(d["line_number"] for d in graph.get_import_details(importer=importer, imported=module))
                    broken.append({"importer": importer, "imported": module, "package": package, "lines": lines})
        return ContractCheck(kept=not broken, metadata={"broken": broken})

    def render_broken_contract(self, check: ContractCheck) -> None:
        for link in check.metadata["broken"]:
            lines = ", ".join(map(str, link["lines"]))
            output.print_error(
                f"{link['importer']} (l. {lines}) imports {link['imported']}, a private module of {link['package']}: "
                f"import what {link['package']} exports instead",
                bold=False,
            )
            output.new_line()


def _is_private(relative_name: str) -> bool:
    return any(part.startswith("_") and not part.startswith("__") for part in relative_name.split("."))
