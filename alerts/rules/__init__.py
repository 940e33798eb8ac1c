"""The alarm rules: the document (file or API, validated once), which rule judges
which sensor (`book`), edits over the API, and the recipients' secret URLs. Pure."""
