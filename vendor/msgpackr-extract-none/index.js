// msgpackr loads its native string decoder optionally, inside a try: failing to load here is how
// it learns to decode strings in JavaScript, which is what this project wants. The native decoder
// returns each string as a slice of one long string per message; stored in the state, those
// slices keep every message's strings alive and make each key comparison slower, so a restored
// or replicated state costs more memory and time than with the flat strings of the JavaScript
// decoder (measured: a restore of 200,000 allocations takes about 11% less CPU and 11% less
// peak memory without it).
throw new Error('msgpackr-extract is replaced: msgpackr decodes strings in JavaScript');
