"""Turn ExoFOP high-resolution-imaging contrast curves into TRICERATOPS input (reference §4).

TRICERATOPS (and TRICERATOPS+) read a contrast curve with ``np.loadtxt(path, delimiter=',')``: two
comma-separated columns, separation in arcsec and delta-mag, and their tutorials inspect it with
``pd.read_csv(path, header=None)``, which a ``#`` line breaks. A ``filt`` argument must be exactly one of
``TESS``, ``Vis``, ``J``, ``H``, ``K``. ExoFOP's raw uploads do not load as they are, so this package reads
the formats seen on ExoFOP and writes bare ``sep,dmag`` rows, with the provenance in a ``<name>.json``
sidecar.

A file's way through, one module a step; each imports only modules listed above it:

- ``bands``: the band table, a filter label → ``filt`` with a one-line reason (``explain_band``);
- ``formats``: the file formats seen on ExoFOP → metadata and numeric rows;
- ``cleaning``: invalid rows, order, duplicate separations, the conservative envelope;
- ``ranking``: which curve to give a one-curve TRICERATOPS (``RANKING_RULE``);
- ``curve``: ``ContrastCurve``, the cleaned curve, its export and sidecar;
- ``loading``: one file → ``ContrastCurve``, with the band from the caller, the file, its name or the
  imaging-summary row;
- ``finding``: which files of a manifest are curves, plots of curves, or named like curves but are not;
- ``collect``: a manifest → one ``ContrastCurveReport`` per file, ranked, optionally exported;
  ``contrast_curves`` → the ``ContrastCurvesResult`` that ``exofop contrast`` shows.

The public names are the ones below; import them from ``exofop_cli.ops.contrast``.
"""

from .bands import (
    BAND_NAMES,
    EXOFOP_FILTER_EXAMPLES,
    TRICERATOPS_FILTERS,
    WAVELENGTH_RULES,
    BandMapping,
    band_rows,
    band_table,
    explain_band,
    triceratops_filter_for,
)
from .cleaning import ENVELOPES, EnvelopeEffect
from .collect import (
    ContrastCurveReport,
    ContrastCurvesResult,
    best_contrast_curve,
    collect_contrast_curves,
    contrast_curves,
    find_contrast_curves,
)
from .curve import ContrastCurve
from .loading import load_exofop_contrast_curve_dat
from .ranking import RANKING_RULE, rank_contrast_curves

__all__ = [
    "BAND_NAMES",
    "ENVELOPES",
    "EXOFOP_FILTER_EXAMPLES",
    "RANKING_RULE",
    "TRICERATOPS_FILTERS",
    "WAVELENGTH_RULES",
    "BandMapping",
    "ContrastCurve",
    "ContrastCurveReport",
    "ContrastCurvesResult",
    "EnvelopeEffect",
    "band_rows",
    "band_table",
    "best_contrast_curve",
    "collect_contrast_curves",
    "contrast_curves",
    "explain_band",
    "find_contrast_curves",
    "load_exofop_contrast_curve_dat",
    "rank_contrast_curves",
    "triceratops_filter_for",
]
