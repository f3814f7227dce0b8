"""Ready-made catalogues for the fake server: a demo star and a bulk star for benchmarks.

The demo catalogue is synthetic (ids borrowed from the project's issues, observations invented), except the
bundled files under ``samples/``, which are real ExoFOP uploads of other stars (see shared/samples/README.md).
"""

from __future__ import annotations

import math
import random
from importlib import resources

from .data import FakeFile, FakeTarget

DEMO_TIC = 365938305
DEMO_TOI = "1262.01"
BULK_TIC = 100000001


def _sample(name: str) -> bytes:
    return resources.files("exofop_cli.testing").joinpath("samples", name).read_bytes()


def synthetic_measurements(*, epoch: float, period: float, n: int = 240, seed: int = 7) -> bytes:
    """An AstroImageJ-style measurements table (real header line) with a 1% transit at ``epoch``."""
    head = _sample("TIC120916706-01_20181213_LCO-SAAO-1m_ip_measurements.HEAD4.tbl").decode()
    header = head.splitlines()[0]
    columns = header.split("\t")
    rng = random.Random(seed)
    lines = [header]
    start = epoch - 0.12
    for i in range(n):
        bjd = start + i * 0.24 / n
        phase = (bjd - epoch + 0.5 * period) % period - 0.5 * period
        depth = 0.01 if abs(phase) < 0.04 else 0.0
        flux = 0.0866 * (1 - depth) * (1 + rng.gauss(0, 0.001))
        values = {
            "": str(i + 1),
            "Label": f"frame-{i:04d}.fits",
            "BJD_TDB": f"{bjd:.6f}",
            "JD_UTC": f"{bjd - 0.0008:.6f}",
            "rel_flux_T1": f"{flux:.6f}",
            "rel_flux_err_T1": "0.000090",
            "AIRMASS": f"{1.0 + 0.3 * math.sin(i / n):.4f}",
        }
        lines.append("\t".join(values.get(c, "0") for c in columns))
    return ("\n".join(lines) + "\n").encode()


def demo_targets() -> list[FakeTarget]:
    """A star with spectra, speckle/AO contrast curves, an SG1 light curve, notes and a proprietary file."""
    epoch, period = 2458958.7332, 8.15
    files = [
        FakeFile(
            1001,
            "TOI1262.01_TRES_20200815.fits",
            "Spectrum",
            size=180_000,
            tag=30001,
            date="2020-08-15",
            description="TRES reconnaissance spectrum",
            user="bieryla",
            toi=DEMO_TOI,
        ),
        FakeFile(
            1002,
            "TOI1262_TRES_ccf.pdf",
            "Spectrum",
            size=52_000,
            tag=30001,
            date="2020-08-15",
            description="TRES CCF plots",
            user="bieryla",
            toi=DEMO_TOI,
        ),
        FakeFile(
            1003,
            "TOI1262_NEID_rv.txt",
            "Spectrum",
            content=b"# BJD RV err\n2459400.1 12.3 1.1\n",
            tag=30002,
            date="2021-06-30",
            description="NEID radial velocities",
            user="gupta",
            toi=DEMO_TOI,
        ),
        FakeFile(
            1004,
            "TOI5997I-cc20240523-562_sensitivity.dat",
            "Image",
            content=_sample("TOI5997I-cc20240523-562_sensitivity.dat"),
            tag=30003,
            date="2024-05-23",
            description="'Alopeke 562 nm speckle contrast curve (real sample file)",
            user="howell",
            toi=DEMO_TOI,
        ),
        FakeFile(
            1005,
            "TOI5997I-dc20230606-Brgamma_plot.tbl",
            "Image",
            content=_sample("TOI5997I-dc20230606-Brgamma_plot.tbl"),
            tag=30004,
            date="2023-06-06",
            description="PHARO Br-gamma AO contrast curve (real sample file)",
            user="ciardi",
            toi=DEMO_TOI,
        ),
        FakeFile(
            1006,
            "TOI5997I-cc20240523-562_plot.pdf",
            "Image",
            size=64_000,
            tag=30003,
            date="2024-05-23",
            description="speckle reconstructed image",
            user="howell",
            toi=DEMO_TOI,
        ),
        FakeFile(
            1007,
            "TIC365938305-01_20200301_LCO-SSO-1m_ip_measurements.tbl",
            "Light_Curve",
            content=synthetic_measurements(epoch=epoch, period=period),
            tag=30005,
            date="2020-03-01",
            description="LCO-SSO 1m ip full transit",
            user="collins",
            toi=DEMO_TOI,
        ),
        FakeFile(
            1008,
            "notes.txt",
            "Notes",
            content=b"Full transit detected on target.\n",
            tag=30005,
            date="2020-03-02",
            description="SG1 notes",
            user="collins",
            toi=DEMO_TOI,
        ),
        FakeFile(
            1009,
            "notes.txt",
            "Notes",
            content=b"No nearby eclipsing binaries within 2.5'.\n",
            tag=30001,
            date="2020-08-16",
            description="SG2 notes",
            user="bieryla",
            toi=DEMO_TOI,
        ),
        FakeFile(
            1010,
            "TOI1262_CHIRON_20250101.fits",
            "Spectrum",
            size=120_000,
            tag=30006,
            date="2025-01-01",
            description="proprietary CHIRON spectrum",
            user="tfop",
            toi=DEMO_TOI,
            proprietary=True,
        ),
    ]
    summaries = {
        "spect": [
            {
                "TIC ID": str(DEMO_TIC),
                "TOI": "TOI 1262.01",
                "Telescope": "FLWO (1.5 m)",
                "Instrument": "TRES",
                "Spectral resolution": "44000",
                "Wavelength coverage": "385-906 nm",
                "SNR/resolution": "45",
                "SNR wavelength": "519",
                "Appropriate to PRV": "Y",
                "Obs Date": "2020-08-15",
                "User": "bieryla",
                "Group": "tfopwg",
                "Tag": "30001",
                "Notes": "Teff 5600, vsini 3.1, no evidence of SB2",
            },
            {
                "TIC ID": str(DEMO_TIC),
                "TOI": "TOI 1262.01",
                "Telescope": "WIYN (3.5 m)",
                "Instrument": "NEID",
                "Spectral resolution": "110000",
                "Wavelength coverage": "380-930 nm",
                "Obs Date": "2021-06-30",
                "User": "gupta",
                "Group": "tfopwg",
                "Tag": "30002",
                "Notes": "",
            },
        ],
        "imaging": [
            {
                "TIC ID": str(DEMO_TIC),
                "TOI": "TOI 1262.01",
                "Telescope": "Gemini (8 m)",
                "Instrument": "Alopeke",
                "Filter": "562: 562 (54) nm",
                "Image Type": "Speckle",
                "Pixel Scale": ".01",
                "PSF": ".02",
                "Contrast": "5.1 mag @ 0.5 arcsec",
                "Obs Date": "2024-05-23",
                "User": "howell",
                "Group": "tfopwg",
                "Tag": "30003",
                "Notes": "no companions detected",
            },
            {
                "TIC ID": str(DEMO_TIC),
                "TOI": "TOI 1262.01",
                "Telescope": "Palomar (5 m)",
                "Instrument": "PHARO",
                "Filter": "Brgamma",
                "Image Type": "AO",
                "Pixel Scale": ".025",
                "PSF": ".0958",
                "Contrast": "7.2 mag @ 0.5 arcsec",
                "Obs Date": "2023-06-06",
                "User": "ciardi",
                "Group": "tfopwg",
                "Tag": "30004",
                "Notes": "",
            },
        ],
        "tseries": [
            {
                "TIC ID": str(DEMO_TIC),
                "TOI": "TOI 1262.01",
                "Telescope": "LCO-SSO (1.0 m)",
                "Camera": "Sinistro",
                "Filter": "ip",
                "Pixel Scale": ".389",
                "PSF": "2.1",
                "Phot Aperture Rad": "6",
                "Obs Date": "2020-03-01",
                "Obs Duration": "345",
                "Num Obs": "240",
                "Obs Type": "Continuous",
                "Transit Coverage": "Full",
                "Delta Mag": "8.3",
                "User": "collins",
                "Group": "tfopwg",
                "Tag": "30005",
                "Notes": "on-target, 2.9 ppt, ingress and egress, Rc",
            },
        ],
        "obsnotes": [
            {
                "ID": "22840",
                "TIC ID": str(DEMO_TIC),
                "Username": "mlund",
                "Groupname": "tfopwg",
                "TAG ID": "30005",
                "Lastmod": "2021-07-29 12:01:54",
                "notes": "TOI1262.01: [P=8.15] SG1 full transit, on target",
            },
            {
                # Real notes carry HTML (reference §7: entities in ~72% of rows, whole documents, breaks).
                "ID": "23968",
                "TIC ID": str(DEMO_TIC),
                "Username": "latham",
                "Groupname": "",
                "TAG ID": "30001",
                "Lastmod": "2021-11-30 12:20:55",
                "notes": "<!DOCTYPE html><html><body>4 RV epochs,&nbsp;162 m/s scatter<br>"
                "SB1? depth &lt;1 ppt</body></html>",
            },
        ],
        "stellar": [
            {
                "Table": "TIC",
                "TIC ID": str(DEMO_TIC),
                "Teff (K)": "5604",
                "Teff (K) err": "120",
                "log(g)": "4.43",
                "Radius (R_Sun)": ".95",
                "Mass (M_Sun)": "1.01",
                "Date": "2019-11-01",
            },
        ],
        "planet": [
            {
                "Table": "TOI",
                "TIC ID": str(DEMO_TIC),
                "TOI": "1262.01",
                "Epoch (BJD)": f"{epoch}",
                "Period (days)": f"{period}",
                "Duration (hours)": "3.1",
                "Depth (ppm)": "2900",
                "Date": "2020-01-10",
            },
        ],
        "nearby": [
            {
                "TIC ID": str(DEMO_TIC),
                "TOI": "1262",
                "RA": "11:49:44.50",
                "Dec": "-42:33:35.2",
                "TESS Mag": "9.82",
                "GAIA DR2": "5375123456789012345",
                "GAIA Mag": "10.3",
                "Distance(pc)": "101.3",
                "Distance Err (pc)": "0.4",
                "Separation (arcsec)": "0.00",
                "Position Angle (deg E. of N.)": "0.0",
            },
            {
                "TIC ID": "365938306",
                "RA": "11:49:45.01",
                "Dec": "-42:33:50.9",
                "TESS Mag": "15.1",
                "Distance(pc)": "820",
                "Distance Err (pc)": "60",
                "Separation (arcsec)": "16.4",
                "Position Angle (deg E. of N.)": "153.2",
            },
        ],
        "companions": [
            {
                "TIC ID": str(DEMO_TIC),
                "TOI": "1262",
                "Separation (arcsec)": "0.231",
                "Position Angle (deg)": "26.8",
                "Filter": "832:  (40) nm",
                "Delta Mag": "4.56",
                "Obs Date": "2024-05-23",
                "Notes": "Alopeke; 180 degree ambiguity in PA",
                "User": "howell",
                "Tag": "30003",
            },
        ],
        "uploads": [
            {
                "TIC ID": str(DEMO_TIC),
                "Time Series": "1",
                "Spectroscopy": "2",
                "Imaging": "2",
                "Files": "10",
                "Notes": "1",
                "Stellar": "1",
                "Stellar Companions": "0",
                "Planet": "1",
            },
        ],
    }
    return [
        FakeTarget(
            tic_id=DEMO_TIC,
            tois=[DEMO_TOI],
            names=["HD 104654", "Gaia DR3 5375123456789012345"],
            files=files,
            summary_rows=summaries,
            period=period,
            epoch=epoch,
            sectors="9,36,63",
            ctois=[("365938305.02", "", "PC")],
        ),
        FakeTarget(
            tic_id=231702397,
            tois=[],
            names=[],
            files=[],
            summary_raw={"spect": _sample("download_tag_spect_tag-1494.pipe")},
        ),
        # A known planet in the catalogues (filters by disposition and sector have something to tell apart).
        FakeTarget(
            tic_id=261136679,
            tois=["144.01"],
            names=["pi Men", "HD 39091"],
            period=6.27,
            epoch=2458325.5,
            tfopwg_disposition="KP",
            tess_disposition="KP",
            sectors="1,4,8,11,12,13,27,28,31,34,38,39,61,62,64,65,66,67,68,69",
            ctois=[("261136679.02", "FP", "PC")],
        ),
    ]


def bulk_target(n_files: int = 40, size: int = 256 * 1024, *, tic_id: int = BULK_TIC) -> FakeTarget:
    """A star with ``n_files`` generated files of ``size`` bytes each (benchmarks)."""
    files = [
        FakeFile(500000 + i, f"bulk_{i:03d}.fits", "Image", size=size, tag=40000 + i % 4, date="2024-01-01")
        for i in range(n_files)
    ]
    return FakeTarget(tic_id=tic_id, tois=["9999.01"], names=[], files=files)


HUGE_TIC = 100000009


def huge_filelist_target(n_rows: int = 1_000_000, *, tic_id: int = HUGE_TIC) -> FakeTarget:
    """A star whose file list has ``n_rows`` rows (~150 bytes each, CSV), served as a raw body: the memory
    benchmark of issue 16. Names are unique; a description, a date and a tag serve a few files each (an
    observation's uploads), users come from a pool of 300, types and TOIs from a handful."""
    from .data import FILELIST_COLUMNS

    types = ("Image", "Spectrum", "Light_Curve", "Other")
    lines = [",".join(FILELIST_COLUMNS)]
    for i in range(n_rows):
        night = i // 3
        day = f"20{20 + night % 6:02d}-{night % 12 + 1:02d}-{night % 28 + 1:02d}"
        lines.append(
            f"{types[i % 4]},TIC{tic_id}-01_{day.replace('-', '')}_LCO-SSO-1m_ip_{i:07d}.fits,{2_000_000 + i},"
            f"{tic_id},{1000 + i % 3}.01,{day} 12:{night % 60:02d}:{i % 60:02d},user{i % 300},tfopwg,"
            f"{50_000 + night},LCO-SSO 1m ip full transit night {night}"
        )
    return FakeTarget(tic_id=tic_id, filelist_raw=("\n".join(lines) + "\n").encode())
