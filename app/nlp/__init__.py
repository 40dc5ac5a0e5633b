"""The NLP pipeline of document processing. Runs in worker processes only: nothing in this
package imports spaCy or pypdf at module level, so the server can name the pool's entry
function (app.nlp.task) without loading either."""
