"""The organisation's structure: each department belongs to one business unit, or to none
(organisation → business unit → department).

A unit is a name on its departments (`departments.business_unit`, migration 0007; "" = none), so a unit
exists while a department names it: renaming one is one UPDATE, moving every department out of one ends
it. Departments are named as assessments name them; a name that several organisations use is set in each.
The rules for a unit's name live in `assessment.exchange.orgfile.clean_unit` (shared with the CSV import).
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import select

from assessment.exchange.orgfile import clean_unit
from assessment.storage.engine import StoreBase
from assessment.storage.errors import NotFound, StorageError
from assessment.storage.schema import departments


class Organisation(StoreBase):
    """Business units and the departments in them."""

    def department_units(self) -> dict[str, str]:
        """Every department → its business unit ("" = none), by department name."""
        with self._read() as conn:
            rows = conn.execute(select(departments.c.name, departments.c.business_unit)
                                .order_by(departments.c.name, departments.c.business_unit))
            out: dict[str, str] = {}
            for name, unit in rows:
                out[name] = out.get(name) or unit  # a name in several organisations: the first it has
            return out

    def business_units(self) -> dict[str, list[str]]:
        """Each business unit (sorted; "" = the departments in none, last) → its departments, sorted."""
        units: dict[str, list[str]] = {}
        for department, unit in self.department_units().items():
            units.setdefault(unit, []).append(department)
        return {u: units[u] for u in sorted(units, key=lambda u: (u == "", u.casefold(), u))}

    def set_business_units(self, mapping: Mapping[str, str]) -> int:
        """Put departments in business units (department → unit; "" takes it out of any), all or nothing.

        Every department must exist (a misspelt name is refused, not created); the number changed.
        """
        clean = {}
        for department, unit in mapping.items():
            try:
                clean[department] = clean_unit(unit)
            except ValueError as exc:
                raise StorageError(f"department {department!r}: {exc}") from None
        changed = 0
        with self._write() as conn:
            known = set(conn.scalars(select(departments.c.name).where(departments.c.name.in_(list(clean)))))
            missing = [d for d in clean if d not in known]
            if missing:
                raise NotFound(f"no department named {missing[0]!r}"
                               + (f" (and {len(missing) - 1} more)" if len(missing) > 1 else "")
                               + "; nothing was changed")
            for department, unit in clean.items():
                changed += conn.execute(departments.update()
                                        .where(departments.c.name == department,
                                               departments.c.business_unit != unit)
                                        .values(business_unit=unit)).rowcount
        return changed

    def set_business_unit(self, department: str, unit: str) -> None:
        """Put one department in a business unit ("" takes it out of any)."""
        self.set_business_units({department: unit})

    def rename_business_unit(self, old: str, new: str) -> int:
        """Rename a unit (onto an existing name: the two merge); how many departments it moved."""
        try:
            new = clean_unit(new)
        except ValueError as exc:
            raise StorageError(f"new name: {exc}") from None
        if not new:
            raise StorageError("a business unit needs a name (to take departments out of it, set theirs)")
        with self._write() as conn:
            moved = conn.execute(departments.update().where(departments.c.business_unit == old, old != "")
                                 .values(business_unit=new)).rowcount
        if not moved:
            raise NotFound(f"no business unit named {old!r}")
        return moved
