"""Data: export the open assessment (JSON, CSV, XLSX), import a file, back up everything."""

import datetime as dt
import logging

import streamlit as st

from assessment import exchange
from assessment.present import plain
from assessment.storage import StorageError
from assessment_app.app_pages.shared import available_questionnaires, current_assessment, open_store, select_assessment

log = logging.getLogger(__name__)
store = open_store()
st.title("Data")

st.subheader("Export the open assessment")
record = current_assessment(store)
if record is None:
    st.info("Open an assessment on the Assessments page to export it.")
else:
    st.caption(f"**{plain(record.name)}** · {plain(record.department)} · {record.assessed_on}")
    formats = {"json": ("JSON (lossless: re-import anywhere)", "application/json"),
               "csv": ("CSV (one row per question)", "text/csv"),
               "xlsx": ("Excel workbook (summary + one sheet per layer)",
                        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")}
    cols = st.columns(len(formats))
    for col, (fmt, (label, mime)) in zip(cols, formats.items(), strict=True):
        def build(fmt: str = fmt) -> bytes:
            return exchange.export_stored(fmt, store, record.id)
        col.download_button(label, data=build, file_name=f"assessment-{record.id}.{fmt}", mime=mime,
                            icon=":material/download:", width="stretch", key=f"export-{fmt}")

st.subheader("Import")
st.caption("A file exported from this tool (JSON, CSV or XLSX). It is checked completely first: a file with any "
           "problem imports nothing and the problems are listed.")
upload = st.file_uploader("Assessment file", type=["json", "csv", "xlsx"], key="import-file")
if upload is not None:
    try:
        exchange.check_size(upload.size, upload.name)
        data = exchange.parse_file(upload.getvalue(), upload.name,
                                   exchange.resolver(available_questionnaires, store.questionnaire_by_hash))
    except exchange.ImportError_ as exc:
        st.error(f"Nothing was imported: {plain(exc.errors[0])}", icon=":material/block:")
        if len(exc.errors) > 1:
            st.code("\n".join(exc.errors), language=None)
    except Exception:  # a bug, not the file: the log has the traceback, the user one line
        log.exception("importing %s", upload.name)
        st.error(f"Nothing was imported: {plain(upload.name)} could not be read (an unexpected error, written "
                 "to the server's log).", icon=":material/block:")
    else:
        st.success(f"{plain(upload.name)} is valid: “{plain(data.name)}” ({plain(data.department)}, "
                   f"{data.assessed_on}), {len(data.answers)} answers.")
        if st.button("Import as a new assessment", type="primary", key=f"do-import-{upload.file_id}"):
            try:
                new_id = store.add_imported(data)
            except StorageError as exc:
                st.error(f"Not imported: {plain(exc)}.")
            except Exception:
                log.exception("storing %s", upload.name)
                st.error("Not imported: an unexpected error, written to the server's log.")
            else:
                select_assessment(new_id)
                st.success(f"Imported as assessment #{new_id}; it is now open.")

st.subheader("Backup")
st.caption("Every assessment with its answers, targets and history, as one JSON file. Restore it with "
           "`python -m assessment db restore FILE`: it checks the file completely, and keeps what it replaces "
           "in `backups/` beside the database, before changing anything.")


def backup() -> bytes:
    return exchange.export_backup(store.dump()).encode("utf-8")


st.download_button("Download a backup of every assessment", data=backup,
                   file_name=f"assessments-backup-{dt.date.today()}.json", mime="application/json",
                   icon=":material/backup:", key="backup")
