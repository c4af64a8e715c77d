"""Simulators of the five vendors' APIs, for tests and the dev environment.

Each vendor module defines a :class:`~simulators.framework.Simulator`
subclass; :func:`registered` lists them for ``python -m simulators``.
"""

from .framework import SIMULATOR, Fault, Simulator


def registered() -> dict[str, type[Simulator]]:
    """Return every vendor simulator by name, in a stable order."""
    from .enerkey import EnerKeySimulator
    from .esmart_systems import ESmartSystemsSimulator
    from .momentum_energi import MomentumEnergiSimulator
    from .moost import MoostSimulator
    from .omnimetic import OmnimeticSimulator

    return {
        cls.name: cls
        for cls in (
            EnerKeySimulator,
            ESmartSystemsSimulator,
            MomentumEnergiSimulator,
            MoostSimulator,
            OmnimeticSimulator,
        )
    }


__all__ = ["SIMULATOR", "Fault", "Simulator", "registered"]
