package main

import (
	"fmt"
	"os"
	"text/tabwriter"

	"github.com/libcipc/libcipc/posix"
	"golang.org/x/sys/unix"
)

// limitsResult is the JSON of posixipc limits.
type limitsResult struct {
	MqueueMsgMax         int64  `json:"mqueue_msg_max"`         // fs.mqueue.msg_max
	MqueueMsgsizeMax     int64  `json:"mqueue_msgsize_max"`     // fs.mqueue.msgsize_max
	MqueueQueuesMax      int64  `json:"mqueue_queues_max"`      // fs.mqueue.queues_max
	MqueueMsgDefault     int64  `json:"mqueue_msg_default"`     // fs.mqueue.msg_default
	MqueueMsgsizeDefault int64  `json:"mqueue_msgsize_default"` // fs.mqueue.msgsize_default
	RlimitMsgqueueCur    uint64 `json:"rlimit_msgqueue_cur"`    // RLIMIT_MSGQUEUE soft, bytes
	RlimitMsgqueueMax    uint64 `json:"rlimit_msgqueue_max"`    // RLIMIT_MSGQUEUE hard, bytes
	MqPrioMax            int    `json:"mq_prio_max"`
	MqueueMounted        bool   `json:"mqueue_mounted"`
	SemValueMax          int    `json:"sem_value_max"`
	NameMax              int64  `json:"name_max"` // longest file name in /dev/shm (a semaphore's "sem." takes 4 of it)
	PageSize             int    `json:"page_size"`
	ShmSize              uint64 `json:"shm_size"` // bytes of the /dev/shm filesystem
	ShmFree              uint64 `json:"shm_free"` // bytes free in it
}

func cmdLimits(args []string) int {
	o, err := parseFlags(args, "bytes")
	if err != nil {
		return fail("limits", err)
	}
	if o.help {
		return help("limits")
	}
	if len(o.args) != 0 {
		return fail("limits", usagef("takes no arguments"))
	}
	l, err := posix.MQLimits()
	if err != nil {
		return fail("limits", err)
	}
	var fs unix.Statfs_t
	if err := unix.Statfs(shmDir, &fs); err != nil {
		return fail("limits", &posix.Error{Op: "statfs", Name: shmDir, Err: err})
	}
	r := limitsResult{
		MqueueMsgMax: l.MsgMax, MqueueMsgsizeMax: l.MsgsizeMax, MqueueQueuesMax: l.QueuesMax,
		MqueueMsgDefault: l.MsgDefault, MqueueMsgsizeDefault: l.MsgsizeDefault,
		RlimitMsgqueueCur: l.RlimitCur, RlimitMsgqueueMax: l.RlimitMax,
		MqPrioMax: posix.MQPrioMax, MqueueMounted: mqueueMounted(),
		SemValueMax: posix.SemValueMax, NameMax: fs.Namelen, PageSize: posix.PageSize(),
		ShmSize: fs.Blocks * uint64(fs.Bsize), ShmFree: fs.Bavail * uint64(fs.Bsize),
	}
	if o.json {
		printJSON(r)
		return exitOK
	}
	rlim := func(v uint64) string {
		if v == unix.RLIM_INFINITY {
			return "unlimited"
		}
		return formatSize(int64(v), o.bytes)
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	row := func(k, v, why string) { fmt.Fprintf(tw, "%s\t%s\t%s\n", k, v, why) }
	row("fs.mqueue.msg_max", fmt.Sprint(r.MqueueMsgMax), "largest maxmsg without CAP_SYS_RESOURCE")
	row("fs.mqueue.msgsize_max", fmt.Sprint(r.MqueueMsgsizeMax), "largest msgsize without CAP_SYS_RESOURCE")
	row("fs.mqueue.queues_max", fmt.Sprint(r.MqueueQueuesMax), "queues in the system")
	row("fs.mqueue.msg_default", fmt.Sprint(r.MqueueMsgDefault), "maxmsg when none is given")
	row("fs.mqueue.msgsize_default", fmt.Sprint(r.MqueueMsgsizeDefault), "msgsize when none is given")
	row("RLIMIT_MSGQUEUE", rlim(r.RlimitMsgqueueCur)+" (hard "+rlim(r.RlimitMsgqueueMax)+")", "bytes of queues per user")
	row("MQ_PRIO_MAX", fmt.Sprint(r.MqPrioMax), "priorities are 0 to MQ_PRIO_MAX-1")
	mounted := "no: " + mountCmd
	if r.MqueueMounted {
		mounted = "yes"
	}
	row("/dev/mqueue mounted", mounted, "needed to list message queues")
	row("SEM_VALUE_MAX", fmt.Sprint(r.SemValueMax), "largest semaphore value")
	row("NAME_MAX", fmt.Sprint(r.NameMax), "longest name in /dev/shm (sem.NAME: 4 less for semaphores)")
	row("page size", fmt.Sprint(r.PageSize), "mappings are made of pages")
	row("/dev/shm size", formatSize(int64(r.ShmSize), o.bytes), "room for shared memory and semaphores")
	row("/dev/shm free", formatSize(int64(r.ShmFree), o.bytes), "")
	tw.Flush()
	return exitOK
}
