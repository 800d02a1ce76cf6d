// msgpackr loads this optionally and falls back to its JavaScript decoder when it exports
// nothing, which is what we want.
module.exports = {};
