package nft

import "github.com/xtnl/xtnl"

// Expr is a parsed expression: a selector (payload, meta, ct, ...), a
// constant, a set, or an operation on them.
type Expr interface {
	span() srcSpan
}

// span is where an expression or statement was written.
type srcSpan struct {
	Pos
	end int // last column on Pos.Line
}

func (s srcSpan) span() srcSpan { return s }

// symbolExpr is a literal not yet given a type: a word, number, address
// or string. Evaluation resolves it against the other side's type.
type symbolExpr struct {
	srcSpan
	text   string
	kind   tokKind
	quoted bool
}

// valueExpr is a typed constant: big-endian bytes of a datatype.
type valueExpr struct {
	srcSpan
	dt   *Datatype
	b    []byte
	bits int
}

// prefixExpr is address/len.
type prefixExpr struct {
	srcSpan
	x    Expr
	plen int
}

// rangeExpr is lo-hi.
type rangeExpr struct {
	srcSpan
	lo, hi Expr
}

// setExpr is { elem, ... }: an anonymous set or map's elements, or a
// named set's in element commands.
type setExpr struct {
	srcSpan
	elems []Expr
}

// elemExpr is one set element with its options (timeout, comment, ...).
type elemExpr struct {
	srcSpan
	key     Expr
	timeout string
	expires string
	comment string
	counter bool
}

// mappingExpr is key : value in a map.
type mappingExpr struct {
	srcSpan
	key, val Expr
}

// concatExpr is a . b . c.
type concatExpr struct {
	srcSpan
	parts []Expr
}

// setRefExpr is @name.
type setRefExpr struct {
	srcSpan
	name string
}

// binopExpr is l op r for & | ^ << >>.
type binopExpr struct {
	srcSpan
	op   string
	l, r Expr
}

// listExpr is a, b, c outside braces (ct state established,related).
type listExpr struct {
	srcSpan
	items []Expr
}

// mapExpr is key map|vmap { ... } / @name.
type mapExpr struct {
	srcSpan
	key   Expr
	m     Expr
	vmap  bool
	dtype *Datatype // of the values, once evaluated
	// val is how a statement reading the values takes them (a queue
	// number is 16 bits of an integer); nil: as their type says
	val *lhsInfo
}

// verdictExpr is a verdict used as a value (in vmaps).
type verdictExpr struct {
	srcSpan
	kind  string // accept, drop, continue, return, jump, goto, queue
	chain string
}

// relExpr is a relational expression: l op r. op "" is the implicit
// operation (equality, or a flag test for bitmask types).
type relExpr struct {
	srcSpan
	op   string
	l, r Expr
}

// Stmt is a rule's statement.
type Stmt interface {
	span() srcSpan
}

// matchStmt is a relational expression used as a statement.
type matchStmt struct {
	srcSpan
	rel *relExpr
}

// matchOfRel is a match statement and its relation in one allocation:
// most statements of a ruleset are matches.
type matchOfRel struct {
	m   matchStmt
	rel relExpr
}

// verdictStmt is accept, drop, jump, a vmap, ...
type verdictStmt struct {
	srcSpan
	v    *verdictExpr
	map_ *mapExpr
}

// Command is one command of a script.
type Command struct {
	pos    srcSpan
	Op     string // add create insert replace delete destroy flush list reset rename
	Obj    string // table chain rule set map element ruleset counter quota limit "ct helper" flowtable
	Family xtnl.Family
	Table  string
	Name   string // chain, set, object
	Handle uint64
	Index  int // insert/add rule index N; -1 when unset
	Pos    uint64
	table  *tableDef
	chain  *chainDef
	rule   *ruleDef
	set    *setDef
	elems  *setExpr
	obj    *objDef
	// famGiven records whether the family was written (printing needs it).
	famGiven bool
	newName  string
	// inTable marks a chain expanded from a table block, whose rules
	// the table writes after all chains and sets.
	inTable bool
	// tableSpan, nameSpan and handleSpan are where the table's name, the
	// chain's, set's or object's name, and the rule's handle or position
	// are written: nft names them when the kernel refuses their attribute.
	tableSpan, nameSpan, handleSpan srcSpan
	// end is the last column of a command of one line (0 otherwise).
	end int
}

type tableDef struct {
	flags   []string
	comment string
	chains  []*chainDef
	sets    []*setDef
	objs    []*objDef
	flows   []*flowtableDef
}

type chainDef struct {
	pos      srcSpan
	namePos  srcSpan
	name     string
	typ      string
	hook     string
	hookPos  srcSpan
	prio     Expr
	prioText string
	policy   string
	devices  []string
	comment  string
	base     bool
	rules    []*ruleDef
	flags    []string
}

type ruleDef struct {
	pos     srcSpan
	stmts   []Stmt
	comment string
	// few holds the stmts of a rule of up to six statements, in the
	// ruleDef's allocation.
	few [6]Stmt
}

type setDef struct {
	pos             srcSpan
	namePos         srcSpan
	name            string
	isMap           bool
	keyTypes        []*Datatype
	keyExpr         Expr // typeof
	dataType        *Datatype
	dataTypes       []*Datatype // a concatenation's parts (map data ipv4_addr . inet_service)
	dataExpr        Expr
	dataTypeofGiven bool
	keyTypeofGiven  bool
	flags           []string
	timeout         string
	gcInt           string
	size            uint32
	policy          string
	elems           *setExpr
	comment         string
	counter         bool
	autoMerge       bool
	objType         string
}

type objDef struct {
	pos     srcSpan
	namePos srcSpan
	kind    string // counter quota limit ct helper ...
	name    string
	args    []token
	comment string
}

type flowtableDef struct {
	pos     srcSpan
	name    string
	hook    string
	prio    Expr
	devices []string
}
