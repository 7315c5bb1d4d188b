"""The filled forms as files ("Ngày không viết"): a DOCX the desk can correct and print, and a
PDF of the same page for the citizen's phone, both drawn from one `dialogs.formfill.FilledForm`."""
